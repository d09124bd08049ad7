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
    """Decides, when a resource starts its course, whether it will end badly; one for every region,
    so a fault's `times` counts resources wherever they are."""

    def __init__(self, faults: list[ResourceFault], region: str | None = None) -> None:
        self._faults = faults
        self._used: Counter[int] = Counter()
        self._region = region

    def in_region(self, region: str) -> ResourceFaults:
        """The faults as resources in `region` meet them, sharing this one's counts."""
        view = ResourceFaults(self._faults, region)
        view._used = self._used
        return view

    def take(self, kind: ResourceKind, *names: str) -> Outcome | None:
        """The bad end for a new resource known by `names`, if a fault still applies to it."""
        for index, fault in enumerate(self._faults):
            if fault.resource != kind or fault.region not in (None, self._region):
                continue
            pattern = fault.name
            if pattern is not None and not any(fnmatch.fnmatchcase(name, pattern) for name in names):
                continue
            if fault.times is not None and self._used[index] >= fault.times:
                continue
            self._used[index] += 1
            return Outcome(fault.outcome, fault.reason)
        return None
