"""Scheduled state transitions, applied lazily when the emulator is next called.

No thread moves time along: each call first settles every transition due by the
clock's `now`, in time order, so cross-resource effects (an image failing its import
fails the builder waiting on it) happen in the order they would have in real time.
"""

from __future__ import annotations

import datetime as dt
import heapq
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol


class Redirectable(Protocol):
    generation: int


Action = Callable[[float], None]


def timestamp(epoch: float) -> dt.datetime:
    """A time on the timeline (epoch seconds) as the API and the agent's documents give it."""
    return dt.datetime.fromtimestamp(epoch, tz=dt.UTC)


@dataclass(order=True)
class _Entry:
    when: float
    order: int
    action: Action = field(compare=False)
    owner: Redirectable | None = field(compare=False)
    generation: int = field(compare=False)


class Timeline:
    def __init__(self) -> None:
        self._queue: list[_Entry] = []
        self._order = itertools.count()

    def at(self, when: float, action: Action, owner: Redirectable | None = None) -> None:
        """Run `action(when)` once the clock reaches `when`, unless `owner` has been redirected by then."""
        generation = owner.generation if owner is not None else 0
        heapq.heappush(self._queue, _Entry(when, next(self._order), action, owner, generation))

    def settle(self, now: float) -> None:
        while self._queue and self._queue[0].when <= now:
            entry = heapq.heappop(self._queue)
            if entry.owner is None or entry.owner.generation == entry.generation:
                entry.action(entry.when)

    def next_due(self) -> float | None:
        return self._queue[0].when if self._queue else None
