"""Every random draw of the emulator, from one seeded generator so runs are reproducible."""

from __future__ import annotations

import random
import uuid

from ..scenario import Scenario


class Randomness:
    def __init__(self, scenario: Scenario) -> None:
        self._scenario = scenario
        self._random = random.Random(scenario.seed)

    def duration(self, phase: str) -> float:
        """Simulated seconds for `phase` (a field of Durations), jittered by the scenario."""
        base = float(getattr(self._scenario.durations, phase))
        jitter = self._scenario.jitter
        if jitter == 0 or base == 0:
            return base
        return base * (1.0 + self._random.uniform(-jitter, jitter))

    def ami_id(self) -> str:
        return "ami-" + f"{self._random.getrandbits(68):017x}"[-17:]

    def uuid(self) -> str:
        return str(uuid.UUID(int=self._random.getrandbits(128), version=4))

    def token(self) -> str:
        return f"{self._random.getrandbits(64):016x}"
