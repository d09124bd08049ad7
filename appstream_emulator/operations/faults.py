"""Injected call faults from the scenario: matching calls fail with the configured error."""

from __future__ import annotations

from collections import Counter

from ..errors import AppStreamError
from ..scenario import OperationFault
from ..service_model import COMMON_ERRORS


class OperationFaults:
    """Raises the configured error on matching calls; counts are per operation, over all calls."""

    def __init__(self, faults: list[OperationFault]) -> None:
        self._faults = faults
        self._seen: Counter[int] = Counter()  # calls each fault has looked at
        self._fired: Counter[int] = Counter()

    def check(self, operation: str, region: str | None = None) -> None:
        """`region`: the region the call is about (the one it is made to; a copy's destination)."""
        for index, fault in enumerate(self._faults):
            if fault.operation != operation or fault.region not in (None, region):
                continue
            self._seen[index] += 1
            if self._seen[index] <= fault.after:
                continue
            if fault.times is not None and self._fired[index] >= fault.times:
                continue
            self._fired[index] += 1
            message = fault.message or _default_message(fault.error)
            raise AppStreamError(fault.error, message, COMMON_ERRORS.get(fault.error, 400))


def _default_message(code: str) -> str:
    return {
        "ThrottlingException": "Rate exceeded",
        "InternalFailure": "An internal error occurred. Try again later.",
        "ServiceUnavailable": "The service is unavailable. Try again later.",
    }.get(code, f"Injected {code}")
