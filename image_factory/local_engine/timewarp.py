"""Simulated time for a local run: one clock shared by the emulator, the handlers, Wait and Retry.

A pipeline that takes hours on AWS must finish in seconds on a laptop without changing
its shape. Simulated time runs `scale` times faster than real time, but only while
nothing is working: an execution's own processing (the interpreter, the tasks: real
milliseconds, slower still when many runs share two cores) takes no simulated time.
So phases last what the emulator says they last whatever the machine's load, and
twenty parallel runs do not see their waits and ceilings eaten by CPU contention.

Everything that spends time waits *until* the clock reaches its target: Wait states,
Retry intervals, botocore's own backoff. A task sleeping in botocore's backoff is not
working, so time passes while it sleeps.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

_SHORTEST_NAP = 0.001  # real seconds: the finest step of a wait on a paused clock


class SimulatedTime:
    def __init__(self, scale: float, start: float | None = None) -> None:
        if scale <= 0:
            raise ValueError(f"the time scale must be positive, got {scale}")
        self.scale = scale
        self._lock = threading.Lock()
        self._real_origin = time.time()
        self._simulated_origin = self._real_origin if start is None else start
        self._working = 0  # tasks running now
        self._paused_since: float | None = None
        self._pauses: list[tuple[float, float]] = []  # closed (start, end) real intervals
        self._paused_total = 0.0
        self._thread = threading.local()

    # --- reading the clock ------------------------------------------------------------------

    def now(self) -> float:
        """Simulated time as epoch seconds (the emulator's and the functions' clock)."""
        with self._lock:
            real = time.time()
            paused = self._paused_total + (
                real - self._paused_since if self._paused_since is not None else 0.0
            )
            return self._simulated_origin + (real - self._real_origin - paused) * self.scale

    def now_datetime(self) -> datetime:
        return datetime.fromtimestamp(self.now(), tz=UTC)

    def simulated_epoch(self, real: datetime) -> float:
        """The simulated instant of a wall-clock timestamp taken during this run (execution history)."""
        moment = real.timestamp()
        with self._lock:
            pauses = [*self._pauses]
            if self._paused_since is not None:
                pauses.append((self._paused_since, time.time()))
        paused = sum(min(end, moment) - start for start, end in pauses if start < moment)
        return self._simulated_origin + (moment - self._real_origin - paused) * self.scale

    # --- work and waits ---------------------------------------------------------------------

    @contextmanager
    def working(self) -> Iterator[None]:
        """Something is processing: simulated time stands still until nothing is."""
        self._start_work()
        self._thread.depth = getattr(self._thread, "depth", 0) + 1
        try:
            yield
        finally:
            self._thread.depth -= 1
            self._stop_work()

    def sleep(self, simulated_seconds: float) -> None:
        """Wait until `simulated_seconds` have passed on the clock (a task sleeping lets time pass)."""
        self.wait_until(self.now() + simulated_seconds, time.sleep)

    @contextmanager
    def idle(self) -> Iterator[None]:
        """This thread does no work of its own for a while (it waits, or another thread works for it)."""
        depth = getattr(self._thread, "depth", 0)
        for _ in range(depth):
            self._stop_work()
        try:
            yield
        finally:
            for _ in range(depth):
                self._start_work()

    def wait_until(
        self, target: float, nap: Callable[[float], object], keep_waiting: Callable[[], bool] = lambda: True
    ) -> None:
        """Nap in real time until the clock reaches `target` (or `keep_waiting()` turns false)."""
        with self.idle():
            while keep_waiting():
                remaining = target - self.now()
                if remaining <= 0:
                    return
                nap(max(remaining / self.scale, _SHORTEST_NAP))

    def _start_work(self) -> None:
        with self._lock:
            if self._working == 0:
                self._paused_since = time.time()
            self._working += 1

    def _stop_work(self) -> None:
        with self._lock:
            self._working -= 1
            if self._working == 0 and self._paused_since is not None:
                end = time.time()
                self._pauses.append((self._paused_since, end))
                self._paused_total += end - self._paused_since
                self._paused_since = None
