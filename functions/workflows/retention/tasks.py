"""The retention's Task states (statemachines/retention.asl.json): one function each, named after
its state, calling one service. ValidateRequest, RecordRun, RecordSuccess and RecordFailure are every
lifecycle workflow's (`functions.workflows.lifecycle`)."""

from __future__ import annotations

from typing import Any

from functions.core.context import get_context
from functions.core.events import LifecyclePlanEvent
from functions.core.task import task
from functions.workflows.retention import policy
from functions.workflows.retention.events import RetentionEvent
from functions.workflows.retention.policy import RetentionPhase


@task(LifecyclePlanEvent)
def plan_retention(event: LifecyclePlanEvent) -> RetentionPhase:
    """What each pipeline keeps and what would be deleted, and why."""
    return policy.plan_retention(get_context(), event.plan)


@task(RetentionEvent)
def apply_retention(event: RetentionEvent) -> RetentionPhase:
    """One pass of deletions (images, AMIs, builders); in-use images are kept."""
    return policy.apply(get_context(), event.plan, event.retention)


@task(RetentionEvent)
def report(event: RetentionEvent) -> dict[str, Any]:
    """The run's result, listing every resource kept or deleted and why."""
    return policy.report(get_context(), event.plan, event.retention)
