"""Clocks that drive the emulator's simulated time.

Resource states are derived from the clock whenever the emulator is called, so a
clock is all it takes to make a multi-hour pipeline finish in seconds (ScaledClock)
or to step a test through every state without sleeping (ManualClock).
"""

from __future__ import annotations

import threading
import time
from typing import Protocol, runtime_checkable


@runtime_checkable
class Clock(Protocol):
    def now(self) -> float:
        """Simulated time as epoch seconds."""
        ...


class RealClock:
    """Wall-clock time."""

    def now(self) -> float:
        return time.time()


class ScaledClock:
    """Simulated time that runs `scale` times faster than real time, starting at `start`."""

    def __init__(self, scale: float, start: float | None = None) -> None:
        if scale <= 0:
            raise ValueError(f"scale must be positive, got {scale}")
        self.scale = scale
        self._real_origin = time.monotonic()
        self._simulated_origin = time.time() if start is None else start

    def now(self) -> float:
        return self._simulated_origin + (time.monotonic() - self._real_origin) * self.scale


class ManualClock:
    """Time that only moves when told to: the clock for tests."""

    def __init__(self, start: float = 1_767_225_600.0) -> None:  # 2026-01-01T00:00:00Z
        self._now = start
        self._lock = threading.Lock()

    def now(self) -> float:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> float:
        if seconds < 0:
            raise ValueError(f"a clock cannot go back ({seconds} s)")
        with self._lock:
            self._now += seconds
            return self._now
