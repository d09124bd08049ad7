"""Cleanup after every run, successful or not: stop and delete the builder, optionally delete the
imported image, release the builder slot.

It is a wait loop of its own (a builder that is starting, snapshotting or stopping
cannot be deleted yet), it is safe when nothing was created, and it never touches a
resource that does not carry this run's tag.
"""

from __future__ import annotations

from typing import Any

from functions import clients
from functions.context import Context
from functions.errors import CleanupIncomplete, ImageFactoryError, PhaseTimedOut
from functions.phases import CleanupPhase
from functions.plan import Plan
from functions.services import appstream, waits
from functions.services.steps import failures_recorded

STEP = "cleanup"
IMAGE_BUSY = {"PENDING", "IMPORTING", "VALIDATING", "CREATING", "COPYING", "DELETING"}


def cleanup(context: Context, plan: Plan, phase: CleanupPhase) -> CleanupPhase:
    if phase.started_at is None:
        context.records.step_started(plan.run_id, STEP, {"builder_name": plan.builder_name})
        phase = waits.begin(phase, waits.timing_for(plan, "cleanup", context), context, check_first=True)
    actions = list(phase.actions)
    with failures_recorded(context, plan, STEP):
        builder_state, builder_settled = _settle_builder(plan, actions)
        image_state, image_settled = (None, True)
        if builder_settled:
            image_state, image_settled = _settle_imported_image(plan, actions)
        done = builder_settled and image_settled
        slot_released = phase.slot_released
        if builder_settled and not slot_released:
            context.slots.release(plan.run_id)
            slot_released = True
            actions.append("released the builder slot")
        phase = phase.model_copy(
            update={
                "builder_state": builder_state,
                "imported_image_state": image_state,
                "actions": actions,
                "slot_released": slot_released,
            }
        )
        try:
            phase = waits.checked(
                phase, done, context, f"{STEP}: builder {builder_state}, imported image {image_state}"
            )
        except PhaseTimedOut as timeout:
            # Give the slot back anyway: a builder stuck past the ceiling needs a person, not a queue.
            context.slots.release(plan.run_id)
            left = [f"image builder {plan.builder_name!r} ({builder_state})"] if not builder_settled else []
            if not image_settled:
                left.append(f"imported image {plan.imported_image_name!r} ({image_state})")
            raise CleanupIncomplete(f"{timeout}; still present: {', '.join(left)}") from timeout
        context.records.step_polled(
            plan.run_id,
            STEP,
            phase.polls,
            f"builder {builder_state}, image {image_state}",
            phase.wait_seconds,
        )
        if phase.done:
            seconds = waits.elapsed(phase)
            resource = {"actions": actions}
            context.records.step_succeeded(plan.run_id, STEP, resource, seconds)
            if any(action.startswith("deleted image builder") for action in actions):
                # Only a real stop-and-delete is history the planner should learn from.
                context.records.record_phase(plan.run_id, STEP, seconds, resource)
        return phase


def _settle_builder(plan: Plan, actions: list[str]) -> tuple[str, bool]:
    """One step toward the builder being gone (or stopped, if it is kept). Returns (state, settled)."""
    name = plan.builder_name
    builder = appstream.find_builder(name)
    ours = appstream.ownership(builder, plan.run_id) if builder is not None else None
    if builder is None or ours is None:
        return "ABSENT", True
    if not ours:
        _note(actions, f"left image builder {name!r}: it is not this run's")
        return "NOT_OURS", True
    state = str(builder.get("State"))
    keep = not plan.request.cleanup.delete_builder
    if state == "RUNNING":
        if _try(f"StopImageBuilder {name!r}", clients.appstream().stop_image_builder, Name=name):
            _note(actions, f"stopped image builder {name!r}")
        return state, False
    if state in {"STOPPED", "FAILED"}:
        if keep:
            return state, True
        if _try(f"DeleteImageBuilder {name!r}", clients.appstream().delete_image_builder, Name=name):
            _note(actions, f"deleted image builder {name!r}")
        return state, False
    return state, False  # starting, snapshotting, stopping or deleting: look again later


def _settle_imported_image(plan: Plan, actions: list[str]) -> tuple[str | None, bool]:
    name = plan.imported_image_name
    if name is None or not plan.request.cleanup.delete_imported_image:
        return None, True
    image = appstream.find_image(name)
    ours = appstream.ownership(image, plan.run_id) if image is not None else None
    if image is None or ours is None:
        return "ABSENT", True
    if not ours:
        _note(actions, f"left imported image {name!r}: it is not this run's")
        return "NOT_OURS", True
    state = str(image.get("State"))
    if state in IMAGE_BUSY:
        return state, False
    if _try(f"DeleteImage {name!r}", clients.appstream().delete_image, Name=name):
        _note(actions, f"deleted imported image {name!r}")
    return state, False


def _try(action: str, operation: Any, **params: Any) -> bool:
    """Ask for a change; a resource that moved on meanwhile (not permitted now, gone) is seen again later."""
    try:
        appstream.call(action, operation, **params)
    except ImageFactoryError as error:
        if appstream.appstream_code(error) in {
            "OperationNotPermittedException",
            "ResourceNotFoundException",
            "ResourceInUseException",
        }:
            return False
        raise
    return True


def _note(actions: list[str], action: str) -> None:
    if action not in actions:
        actions.append(action)
