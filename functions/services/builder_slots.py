"""Waiting for a builder slot, so runs beyond the builder quota queue instead of failing."""

from __future__ import annotations

import math

from functions import timeutil
from functions.context import Context
from functions.errors import PhaseTimedOut
from functions.phases import SlotPhase
from functions.plan import Plan
from functions.services import waits
from functions.services.steps import failures_recorded

STEP = "builder_slot"


def hold_seconds(plan: Plan, context: Context) -> float:
    """How long a slot may stay held before another run may take it back: every later ceiling together."""
    return sum(
        waits.timing_for(plan, phase, context).ceiling_seconds
        for phase in ("builder", "snapshot", "export", "cleanup")
    )


def acquire(context: Context, plan: Plan, phase: SlotPhase) -> SlotPhase:
    if phase.started_at is None:
        context.records.step_started(plan.run_id, STEP, {"limit": context.settings.builder_slot_limit})
        timing = waits.timing_for(plan, "builder_slot", context)
        phase = phase.model_copy(
            update={"started_at": timeutil.now_epoch(), "ceiling_seconds": timing.ceiling_seconds, "polls": 0}
        )
    with failures_recorded(context, plan, STEP):
        acquired = context.slots.acquire(plan.run_id, plan.execution_arn, hold_seconds(plan, context))
        polls = phase.polls + 1
        if acquired:
            context.records.step_polled(plan.run_id, STEP, polls, "ACQUIRED")
            context.records.step_succeeded(plan.run_id, STEP, {"slot": "held"}, waits.elapsed(phase))
            return phase.model_copy(update={"polls": polls, "done": True, "wait_seconds": 0})
        elapsed = waits.elapsed(phase)
        ceiling = phase.ceiling_seconds or waits.DEFAULT_CEILING[STEP]
        if elapsed >= ceiling:
            raise PhaseTimedOut(
                f"{STEP}: no image builder slot free after {elapsed / 60:.0f} min "
                f"({context.settings.builder_slot_limit} in use)"
            )
        wait = max(1, math.ceil(min(context.settings.slot_poll_seconds, ceiling - elapsed)))
        context.records.step_polled(plan.run_id, STEP, polls, "ALL_TAKEN", wait)
        return phase.model_copy(update={"polls": polls, "done": False, "wait_seconds": wait})
