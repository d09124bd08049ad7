"""The fleet rollout's Task states (statemachines/fleet_rollout.asl.json): one function each, named
after its state, calling one service. ValidateRequest, RecordRun, RecordSuccess and RecordFailure are
every lifecycle workflow's (`functions.workflows.lifecycle`)."""

from __future__ import annotations

from typing import Any

from functions.core.context import get_context
from functions.core.events import LifecyclePlanEvent
from functions.core.task import task
from functions.workflows.fleet_rollout import rollout
from functions.workflows.fleet_rollout.events import RollbackEvent, RolloutEvent
from functions.workflows.fleet_rollout.rollout import FleetProgress, RollbackProgress

FLEET = {"fleet": "rollout.name"}


@task(RolloutEvent, keys=FLEET)
def inspect_fleet(event: RolloutEvent) -> FleetProgress:
    """The next fleet, and whether it is updated, waits for its window or is skipped."""
    return rollout.inspect(get_context(), event.plan, event.rollout)


@task(RolloutEvent, keys=FLEET)
def apply_fleet(event: RolloutEvent) -> FleetProgress:
    """One move (stop, update, start) of the fleet towards the new image, then verify."""
    return rollout.apply(get_context(), event.plan, event.rollout)


@task(RollbackEvent, keys=FLEET)
def rollback_fleet(event: RollbackEvent) -> RollbackProgress:
    """One move of a failed fleet back to its previous image."""
    return rollout.rollback(get_context(), event.plan, event.rollout, event.rollback, event.error)


@task(LifecyclePlanEvent)
def report(event: LifecyclePlanEvent) -> dict[str, Any]:
    """What happened to each fleet, from their step records (the run's result)."""
    return rollout.summary(get_context(), event.plan)
