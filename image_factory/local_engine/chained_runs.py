"""The runs the deployment's chain rules started on the local engine, followed to their end.

The engine starts a chained run while the run that made the image publishes its end
(image_factory/local_engine/event_rules.py), so once that run is over its chained runs
are all known; a chained run could start more in turn, which are followed as well.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from image_factory.local_engine.event_rules import Delivery
from image_factory.local_engine.execution import LocalExecution
from image_factory.local_engine.outcome import RunOutcome

if TYPE_CHECKING:
    from image_factory.local_engine.engine import LocalEngine

# Waits for executions and returns their outcomes in order (a progress view, or a plain wait).
Follow = Callable[[Sequence[LocalExecution]], list[RunOutcome]]


@dataclass(frozen=True)
class ChainedRun:
    delivery: Delivery
    outcome: RunOutcome | None  # None: the rule matched but its run could not start

    @property
    def succeeded(self) -> bool:
        return self.outcome is not None and self.outcome.succeeded


def follow_chained_runs(
    engine: LocalEngine, follow: Follow, announce: Callable[[Delivery], None]
) -> list[ChainedRun]:
    """Wait for every run the chain rules started, and any those runs start in turn."""
    deliveries = engine.event_rules.deliveries
    chained: list[ChainedRun] = []
    while len(chained) < len(deliveries):
        batch = deliveries[len(chained) :]
        for delivery in batch:
            announce(delivery)
        outcomes = iter(follow([delivery.execution for delivery in batch if delivery.execution]))
        chained += [ChainedRun(each, next(outcomes) if each.execution else None) for each in batch]
    return chained


def announcement(delivery: Delivery) -> str:
    if delivery.execution is None:
        return f"Rule {delivery.rule} matched, but its run did not start: {delivery.error}"
    return f"Rule {delivery.rule} started run {delivery.execution.name}"
