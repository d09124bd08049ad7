"""Expected durations and ceilings of the lifecycle waits (the image pipeline's planner does the rest)."""

from __future__ import annotations

from functions import planner
from functions.context import Context
from functions.lifecycle.plan import LifecyclePlan, wait_override
from functions.planner import Timing
from functions.request_fields import PhaseWait


def timing(
    context: Context, plan: LifecyclePlan, key: str, wait: PhaseWait, default: float, ceiling: float
) -> Timing:
    """Request override first, then this job's history (phase `key`), then the default."""
    configured, configured_ceiling = wait_override(wait)
    history = (
        context.records.phase_history(plan.pipeline, key, context.settings.history_runs)
        if configured is None
        else []
    )
    return planner.timing(configured, history, default, ceiling, configured_ceiling)
