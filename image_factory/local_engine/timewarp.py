"""Simulated time for a local run: one clock shared by the emulator, the handlers, Wait and Retry.

A pipeline that takes hours on AWS must finish in seconds on a laptop without changing
its shape. Simulated time runs `scale` times faster than real time, but only while
nothing is working and something waits: an execution's own processing (the interpreter, the tasks: real
milliseconds, slower still when many runs share two cores) takes no simulated time.
So phases last what the emulator says they last whatever the machine's load, and
twenty parallel runs do not see their waits and ceilings eaten by CPU contention.

Everything that spends time waits *until* the clock reaches its target: Wait states,
Retry intervals, botocore's own backoff. A task sleeping in botocore's backoff is not
working, so time passes while it sleeps. The clock never runs past the earliest target
anyone waits for: it stops there until that waiter has woken up and gone back to work. A
waiter woken late by a busy machine therefore finds the clock at its target, not
`scale` times its lateness beyond it, and the same run takes the same simulated time
alone and under load. With nothing waiting, the clock stands still too: the start date the
interpreter stamps on an execution, a moment before its first state works, reads the same
whether the machine took 0.1 ms or 1 ms (0.3 or 3 simulated seconds at 3000x) to get there.
"""

from __future__ import annotations

import bisect
import itertools
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

_SHORTEST_NAP = 0.001  # real seconds: the finest step of a wait on a paused clock


@dataclass(frozen=True)
class _Segment:
    """From real instant `real` on, the clock reads min(`until`, `simulated` + elapsed x `rate`)."""

    real: float
    simulated: float
    rate: float  # the scale while nothing works and something waits, 0 otherwise
    until: float  # the earliest target a waiter waits for (inf: none)

    def at(self, real: float) -> float:
        return min(self.until, self.simulated + (real - self.real) * self.rate)


class _Baton:
    """A thread's work, lent to the one thread it starts, so no instant between them goes uncounted."""

    def __init__(self, depth: int) -> None:
        self.depth = depth
        self.lock = threading.Lock()
        self.taken = False  # a thread holds the work now
        self.returned = False  # that thread finished, its work still counted, for the lender to hold
        self.lender_back = False  # the lender went on without waiting: the thread ends its own work


class SimulatedTime:
    def __init__(self, scale: float, start: float | None = None) -> None:
        if scale <= 0:
            raise ValueError(f"the time scale must be positive, got {scale}")
        self.scale = scale
        self._lock = threading.Lock()
        real = time.time()
        self._working = 0  # tasks running now
        self._targets: dict[int, float] = {}  # what each wait in progress waits for
        self._tickets = itertools.count()
        # The clock's whole course, so history timestamps (real) map to simulated instants.
        self._segments = [_Segment(real, real if start is None else start, 0.0, float("inf"))]
        self._thread = threading.local()

    # --- reading the clock ------------------------------------------------------------------

    def now(self) -> float:
        """Simulated time as epoch seconds (the emulator's and the functions' clock)."""
        with self._lock:
            return self._segments[-1].at(time.time())

    def now_datetime(self) -> datetime:
        return datetime.fromtimestamp(self.now(), tz=UTC)

    def simulated_epoch(self, real: datetime) -> float:
        """The simulated instant of a wall-clock timestamp taken during this run (execution history)."""
        moment = real.timestamp()
        with self._lock:
            index = bisect.bisect_right(self._segments, moment, key=lambda segment: segment.real)
            return self._segments[max(index - 1, 0)].at(moment)

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

    @contextmanager
    def lent(self) -> Iterator[None]:
        """This thread's work goes to the thread it starts next (`thread_class`), until it is back.

        Between a thread starting another and the other running, neither works: the clock would
        run on for as long as the machine takes to switch threads. The work is handed over
        instead, and back when the started thread ends.
        """
        depth = getattr(self._thread, "depth", 0)
        if depth == 0:
            yield
            return
        baton = _Baton(depth)
        self._thread.depth, self._thread.baton = 0, baton
        try:
            yield
        finally:
            self._thread.baton = None
            with baton.lock:
                if baton.taken and not baton.returned:
                    baton.lender_back = True
                    for _ in range(depth):
                        self._start_work()
            self._thread.depth = depth

    def thread_class(self) -> type[threading.Thread]:
        """A Thread that takes the work its creator lends (`lent`) and gives it back as it ends."""
        warp = self

        class LendingThread(threading.Thread):
            def __init__(self, *args: Any, **kwargs: Any) -> None:
                super().__init__(*args, **kwargs)
                self._baton: _Baton | None = getattr(warp._thread, "baton", None)
                warp._thread.baton = None
                if self._baton is not None:
                    self._baton.taken = True

            def run(self) -> None:
                baton = self._baton
                warp._thread.depth = baton.depth if baton is not None else 0
                try:
                    super().run()
                finally:
                    warp._thread.depth = 0
                    if baton is not None:
                        with baton.lock:
                            baton.returned = True
                            if baton.lender_back:
                                for _ in range(baton.depth):
                                    warp._stop_work()

        return LendingThread

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
        ticket = next(self._tickets)
        self._change(lambda: self._targets.__setitem__(ticket, target))
        try:
            with self.idle():
                while keep_waiting():
                    remaining = target - self.now()
                    if remaining <= 0:
                        return
                    nap(max(remaining / self.scale, _SHORTEST_NAP))
        finally:
            # Back to work first, so the clock stays at the target until this waiter works.
            self._change(lambda: self._targets.pop(ticket))

    def _start_work(self) -> None:
        self._change(lambda: setattr(self, "_working", self._working + 1))

    def _stop_work(self) -> None:
        self._change(lambda: setattr(self, "_working", self._working - 1))

    def _change(self, update: Callable[[], object]) -> None:
        """Apply `update` to what drives the clock, and start a segment from the reading now."""
        with self._lock:
            real = time.time()
            reading = self._segments[-1].at(real)
            update()
            rate = self.scale if self._targets and not self._working else 0.0
            until = min(self._targets.values(), default=float("inf"))
            self._segments.append(_Segment(real, reading, rate, max(until, reading)))
