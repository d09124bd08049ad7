"""The managed update's Task states (statemachines/managed_update.asl.json): one function each,
named after its state, calling one service. ValidateRequest, RecordRun, RecordSuccess and
RecordFailure are every lifecycle workflow's (`functions.workflows.lifecycle`)."""

from __future__ import annotations

from functions.core.context import get_context
from functions.core.events import LifecyclePlanEvent
from functions.core.task import task
from functions.workflows.managed_update import updates
from functions.workflows.managed_update.events import UpdateCleanupEvent, UpdateEvent
from functions.workflows.managed_update.updates import UpdateCheck, UpdateCleanup, UpdatePhase


@task(LifecyclePlanEvent)
def check_update_available(event: LifecyclePlanEvent) -> UpdateCheck:
    """CreateUpdatedImage with dryRun: is there an update for the image?"""
    return updates.check_available(get_context(), event.plan)


@task(LifecyclePlanEvent)
def create_updated_image(event: LifecyclePlanEvent) -> UpdatePhase:
    """CreateUpdatedImage (adopting this run's image on a retry)."""
    return updates.start_update(get_context(), event.plan)


@task(UpdateEvent)
def check_updated_image(event: UpdateEvent) -> UpdatePhase:
    """Is the updated image AVAILABLE yet?"""
    return updates.check_update(get_context(), event.plan, event.update)


@task(UpdateCleanupEvent)
def cleanup(event: UpdateCleanupEvent) -> UpdateCleanup:
    """One step of cleanup: after a failure, delete the new image once it settles."""
    failed = event.error is not None
    return updates.cleanup(get_context(), event.plan, event.update, event.cleanup, failed)
