"""The one source of time for every function.

The local engine runs pipelines on a compressed simulated clock and redirects time by
replacing `now_epoch` here (e.g. `monkeypatch.setattr(functions.core.timeutil, "_clock", clock.now)`),
so nothing else in `functions` may read the system clock.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

# Seconds since the epoch; swapped out by the local engine and by tests.
_clock: Callable[[], float] = time.time


def set_clock(clock: Callable[[], float]) -> None:
    """Route all time in the functions through `clock` (epoch seconds)."""
    global _clock
    _clock = clock


def reset_clock() -> None:
    set_clock(time.time)


def now_epoch() -> float:
    return _clock()


def now() -> datetime:
    return datetime.fromtimestamp(_clock(), tz=UTC)


def iso(moment: datetime) -> str:
    """ISO-8601 UTC with seconds precision: sorts lexically in time order."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
