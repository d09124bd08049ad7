"""Injected faults from the scenario: failing calls and resources that end badly."""

from __future__ import annotations

import fnmatch
from collections import Counter
from dataclasses import dataclass

from ..errors import AppStreamError
from ..scenario import OperationFault, ResourceFault, ResourceKind
from ..service_model import COMMON_ERRORS


class OperationFaults:
    """Raises the configured error on matching calls; counts are per operation, over all calls."""

    def __init__(self, faults: list[OperationFault]) -> None:
        self._faults = faults
        self._seen: Counter[int] = Counter()  # calls each fault has looked at
        self._fired: Counter[int] = Counter()

    def check(self, operation: str) -> None:
        for index, fault in enumerate(self._faults):
            if fault.operation != operation:
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


@dataclass(frozen=True)
class Outcome:
    state: str  # FAILED, or TIMED_OUT for export tasks
    reason: str


class ResourceFaults:
    """Decides, when a resource starts its course, whether it will end badly."""

    def __init__(self, faults: list[ResourceFault]) -> None:
        self._faults = faults
        self._used: Counter[int] = Counter()

    def take(self, kind: ResourceKind, *names: str) -> Outcome | None:
        """The bad end for a new resource known by `names`, if a fault still applies to it."""
        for index, fault in enumerate(self._faults):
            if fault.resource != kind:
                continue
            pattern = fault.name
            if pattern is not None and not any(fnmatch.fnmatchcase(name, pattern) for name in names):
                continue
            if fault.times is not None and self._used[index] >= fault.times:
                continue
            self._used[index] += 1
            return Outcome(fault.outcome, fault.reason)
        return None
