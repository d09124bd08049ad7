"""Injected resource faults from the scenario: resources that end badly."""

from __future__ import annotations

import fnmatch
from collections import Counter
from dataclasses import dataclass

from ..scenario import ResourceFault, ResourceKind


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
