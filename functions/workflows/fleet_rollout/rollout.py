"""Fleet rollout: point each fleet at the new image, one fleet at a time.

Per fleet: inspect it (already on the image? needs a stop? inside the maintenance
window?), then move it a call at a time (stop, update, start) until it is back in its
state with the new image, or put it back on its previous image when that fails. A fleet
that needs a stop is stopped only inside the maintenance window: outside it, the fleet
waits for the window (up to `waits.window_hours`) or is SKIPPED, as the request says.
Two steps, each with the state path of its name: the rollout (`$.rollout`, FleetProgress) and
the failed fleet's rollback (`$.rollback`, RollbackProgress). Every fleet has its own record of
each (`rollout:<fleet>`, `rollback:<fleet>`; a fleet of another region is `<region>/<fleet>`)
whose resource says what happened to it; the run's output lists them. A fleet of another region
moves to the image's copy there, which must be AVAILABLE before any fleet is stopped.
"""

from __future__ import annotations

import math
from typing import Any, Literal, TypeVar

from pydantic import Field

from functions.core import timeutil, waits
from functions.core.causes import cause_message
from functions.core.context import Context
from functions.core.errors import FleetRollbackFailed, FleetUpdateFailed, ImageFactoryError, PhaseTimedOut
from functions.core.plan import LifecyclePlan
from functions.core.steps import failures_recorded
from functions.core.waits import WaitProgress
from functions.workflows.fleet_rollout import copies, fleets, image_volume
from functions.workflows.fleet_rollout.request import FleetRolloutRequest, FleetTarget

ROLLOUT_STEP = "rollout:"
ROLLBACK_STEP = "rollback:"
HOUR = 3600.0
# A stop, an update and a start (the emulator's fleet_stop + fleet_start); in place: a minute.
# Guesses: no source gives fleet durations (docs/emulator-fidelity.md).
EXPECTED = {"fleet_stop_start": 1200.0, "fleet_in_place": 60.0}
CEILING = {"fleet_stop_start": 2 * HOUR, "fleet_in_place": 2 * HOUR}
# A fleet someone else is starting or stopping is looked at again after this long.
BUSY_CEILING = 2 * HOUR

M = TypeVar("M", bound="MoveProgress")
Action = Literal["inspect", "apply", "wait", "skip", "current", "done"]
Outcome = Literal["UPDATED", "UNCHANGED", "SKIPPED", "ROLLED_BACK", "NOT_ROLLED_BACK"]


class MoveProgress(WaitProgress):
    """A fleet being moved a call at a time: what it was seen in, whether it was started, what was done."""

    state: str | None = None
    start_requested: bool = False
    actions: list[str] = Field(default_factory=list)


class RollbackProgress(MoveProgress):
    pass


class FleetProgress(MoveProgress):
    """The fleet the rollout is at (`index` in the request's list, `name` its label) and what it knows."""

    index: int = 0
    name: str | None = None
    action: Action = "inspect"
    reason: str | None = None
    was_running: bool = False
    previous_image: str | None = None
    previous_root_volume_gb: int | None = None
    waiting_since: float | None = None


def inspect(context: Context, plan: LifecyclePlan, progress: FleetProgress) -> FleetProgress:
    """Decide what happens to the fleet at `progress.index`: apply, wait, skip, nothing, or done."""
    request = plan.typed(FleetRolloutRequest)
    if progress.index >= len(request.fleets):
        return FleetProgress(index=progress.index, action="done")
    target = request.fleets[progress.index]
    step = ROLLOUT_STEP + target.label
    desired = fleets.Desired(request.image_name, target)
    first_look = progress.name != target.label
    if first_look:
        progress = FleetProgress(index=progress.index, name=target.label, waiting_since=timeutil.now_epoch())
        context.records.step_started(plan.run_id, step, {"fleet": target.label, "image": request.image_name})
    with failures_recorded(context, plan, step):
        if first_look and progress.index == 0:
            # Every fleet at once, so a fleet the image cannot fit, or a region without the image's
            # copy, fails the run before any fleet is stopped.
            copies.check_regions(request.image_name, request.fleets, context.settings.distribution_regions)
            image_volume.check_fleets(request.image_name, request.fleets)
        fleet = fleets.describe(target)
        state = str(fleet.get("State"))
        progress = progress.model_copy(update={"state": state})
        if state in fleets.TRANSITIONAL:
            return _wait(
                context, plan, progress, step, BUSY_CEILING, context.settings.poll_floor_seconds, state
            )
        if fleets.on_target(fleet, desired):
            return _finish(
                context, plan, progress, step, "current", "UNCHANGED", f"already on {desired.image}"
            )
        window = request.maintenance_window
        opens_in = window.seconds_until_open(timeutil.now()) if window else 0.0
        if fleets.needs_stop(fleet, desired) and opens_in > 0:
            assert window is not None
            reason = f"needs a stop; outside the maintenance window {window.describe()}"
            if request.outside_window == "skip":
                return _finish(context, plan, progress, step, "skip", "SKIPPED", reason)
            waited = timeutil.now_epoch() - (progress.waiting_since or timeutil.now_epoch())
            limit = request.waits.window_hours * HOUR
            if waited + opens_in > limit:
                reason += f"; it does not open within {request.waits.window_hours:g} h"
                return _finish(context, plan, progress, step, "skip", "SKIPPED", reason)
            return _wait(context, plan, progress, step, limit, math.ceil(opens_in) + 1, "WAITING_FOR_WINDOW")
        key = "fleet_stop_start" if fleets.needs_stop(fleet, desired) else "fleet_in_place"
        started = progress.model_copy(
            update={
                "action": "apply",
                "reason": None,
                "was_running": state == "RUNNING",
                "previous_image": fleet.get("ImageName"),
                "previous_root_volume_gb": fleets.root_volume_gb(fleet),
            }
        )
        # This fleet's own history in earlier runs of the job (a fleet takes about as long each time).
        schedule = waits.phase_timing(
            context, plan.pipeline, step, request.waits.fleet, EXPECTED[key], CEILING[key]
        )
        # From the first move until the fleet is back in its state (or rolled back), the run is not
        # cancelled: stopping it then would leave the fleet stopped or half updated.
        context.records.hold_cancel(plan.run_id, f"fleet {target.label!r} is being changed")
        # The first move happens at once; waits come between the moves.
        return waits.begin(started, schedule, context, check_first=True)


def apply(context: Context, plan: LifecyclePlan, progress: FleetProgress) -> FleetProgress:
    """One move of the fleet towards the new image; done once it is back in its state on the image."""
    request = plan.typed(FleetRolloutRequest)
    target = request.fleets[progress.index]
    step = ROLLOUT_STEP + target.label
    with failures_recorded(context, plan, step):
        desired = fleets.Desired(request.image_name, target)
        progress = _moved(context, plan, step, progress, desired, progress.was_running, FleetUpdateFailed)
        if progress.done:
            seconds = waits.elapsed(progress)
            resource = _resource(request, progress, "UPDATED")
            context.records.step_succeeded(plan.run_id, step, resource, seconds)
            context.records.record_phase(plan.run_id, step, seconds, resource)
            context.records.release_cancel(plan.run_id)
        return progress


def rollback(
    context: Context,
    plan: LifecyclePlan,
    progress: FleetProgress,
    undo: RollbackProgress,
    error: dict[str, Any] | None = None,
) -> RollbackProgress:
    """One move of the failed fleet back to its previous image (and root volume); done when it is back.

    `error` is what the rollout step failed with: kept as the run's error before the rollback
    step becomes the run's current step (a retryable error that ran out of retries is recorded
    nowhere else).
    """
    request = plan.typed(FleetRolloutRequest)
    if progress.action != "apply" or progress.name is None or progress.previous_image is None:
        # Nothing was changed yet (the failure came before the first move): nothing to undo.
        return undo.model_copy(update={"done": True})
    step = ROLLBACK_STEP + progress.name
    if undo.started_at is None and error:
        context.records.record_run_error(
            plan.run_id,
            ROLLOUT_STEP + progress.name,
            str(error.get("Error") or "Unknown"),
            cause_message(error.get("Cause")),
        )
    if not request.rollback:
        context.records.step_started(plan.run_id, step, {"fleet": progress.name})
        context.records.step_succeeded(
            plan.run_id, step, {"fleet": progress.name, "outcome": "NOT_ROLLED_BACK"}, 0
        )
        context.records.release_cancel(plan.run_id)
        return undo.model_copy(update={"done": True})
    target = request.fleets[progress.index]
    previous = FleetTarget(
        name=target.name,
        region=target.region,
        root_volume_gb=progress.previous_root_volume_gb,
        remove_root_volume=progress.previous_root_volume_gb is None,
    )
    if undo.started_at is None:
        context.records.step_started(
            plan.run_id, step, {"fleet": progress.name, "image": progress.previous_image}
        )
        key = "fleet_stop_start"
        schedule = waits.phase_timing(
            context, plan.pipeline, step, request.waits.rollback, EXPECTED[key], CEILING[key]
        )
        undo = waits.begin(undo, schedule, context, check_first=True)
    with failures_recorded(context, plan, step):
        desired = fleets.Desired(progress.previous_image, previous)
        try:
            undo = _moved(context, plan, step, undo, desired, progress.was_running, FleetRollbackFailed)
        except PhaseTimedOut as timed_out:
            raise FleetRollbackFailed(str(timed_out)) from timed_out
        if undo.done:
            resource = {"fleet": progress.name, "image": progress.previous_image, "outcome": "ROLLED_BACK"}
            context.records.step_succeeded(plan.run_id, step, resource, waits.elapsed(undo))
            context.records.release_cancel(plan.run_id)
        return undo


def _moved(
    context: Context,
    plan: LifecyclePlan,
    step: str,
    progress: M,
    desired: fleets.Desired,
    expect_running: bool,
    failure: type[ImageFactoryError],
) -> M:
    """One move of the fleet towards `desired`, counted as a check of `step`."""
    move = fleets.step_towards(desired, expect_running, progress.start_requested, failure, step)
    actions = [*progress.actions, move.action] if move.action else progress.actions
    progress = progress.model_copy(
        update={"state": move.state, "start_requested": move.start_requested, "actions": actions}
    )
    progress = waits.checked(progress, move.done, context, f"{step}: fleet {desired.name!r} ({move.state})")
    context.records.step_polled(plan.run_id, step, progress.polls, move.state, progress.wait_seconds)
    return progress


def summary(context: Context, plan: LifecyclePlan) -> dict[str, Any]:
    """The run's result: what happened to each fleet (in the request's order), from its step record."""
    request = plan.typed(FleetRolloutRequest)
    records = {str(step.get("step")): step for step in context.records.get_steps(plan.run_id)}
    outcomes = []
    for target in request.fleets:
        step = records.get(ROLLOUT_STEP + target.label)
        if step is None:
            continue  # the run ended before it reached this fleet
        resource = step.get("resource") or {}
        outcomes.append(
            {
                "fleet": target.name,
                **({"region": target.region} if target.region else {}),
                "outcome": resource.get("outcome", step.get("status")),
                "previous_image": resource.get("previous_image"),
                "reason": resource.get("reason"),
                "actions": resource.get("actions", []),
            }
        )
    return {"image": request.image_name, "fleets": outcomes}


def _wait(
    context: Context,
    plan: LifecyclePlan,
    progress: FleetProgress,
    step: str,
    limit: float,
    seconds: int,
    seen: str,
) -> FleetProgress:
    """Look at the fleet again in `seconds`; a fleet busy past `limit` ends the run (PhaseTimedOut)."""
    waited = timeutil.now_epoch() - (progress.waiting_since or timeutil.now_epoch())
    if waited >= limit:
        raise PhaseTimedOut(f"{step}: fleet {progress.name!r} still {seen} after {waited / 60:.0f} min")
    polls = progress.polls + 1
    wait = max(1, min(seconds, math.ceil(limit - waited)))
    context.records.step_polled(plan.run_id, step, polls, seen, wait)
    return progress.model_copy(
        update={"action": "wait", "reason": seen, "polls": polls, "wait_seconds": wait}
    )


def _finish(
    context: Context,
    plan: LifecyclePlan,
    progress: FleetProgress,
    step: str,
    action: Action,
    outcome: Outcome,
    reason: str,
) -> FleetProgress:
    request = plan.typed(FleetRolloutRequest)
    finished = progress.model_copy(
        update={"action": action, "reason": reason, "done": True, "wait_seconds": 0}
    )
    context.records.step_succeeded(plan.run_id, step, _resource(request, finished, outcome), 0)
    return finished


def _resource(request: FleetRolloutRequest, progress: FleetProgress, outcome: Outcome) -> dict[str, Any]:
    return {
        "fleet": progress.name,
        "image": request.image_name,
        "previous_image": progress.previous_image,
        "outcome": outcome,
        "reason": progress.reason,
        "actions": progress.actions,
    }
