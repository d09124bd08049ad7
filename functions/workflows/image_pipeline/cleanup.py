"""Cleanup after every run, successful or not: stop and delete the builder, optionally delete the
imported image, undo a distribution that did not finish (distribution_cleanup), release the
builder slot.

It is a wait loop of its own (a builder that is starting, snapshotting or stopping
cannot be deleted yet), it is safe when nothing was created, and it never touches a
resource that is not this run's: one carrying this run's tags (its run id and stage) or,
when AppStream cannot describe it or read its tags, one the run's own step records show
it created (names are derived from the run id). Another stage's run with the same id
(and so the same builder name) has another stage tag: its builder is left alone.
AppStream refusing a change now (busy, throttled, unavailable) means "look again later";
what is still there at the ceiling is named in the error. An image of the run that cleanup
leaves and that is not usable (FAILED, or still importing after a cancel) is named in the
actions with the command that removes it, so nobody meets it later by surprise.
"""

from __future__ import annotations

from typing import Any

from functions.core import appstream, clients, names, waits
from functions.core.context import Context
from functions.core.errors import CleanupIncomplete, ImageFactoryError, PhaseTimedOut
from functions.core.steps import failures_recorded
from functions.workflows.image_pipeline import (
    ami_distribution_cleanup,
    builders,
    distribution_cleanup,
    durations,
    imports,
    snapshots,
)
from functions.workflows.image_pipeline.changes import Answer
from functions.workflows.image_pipeline.changes import ask as _ask
from functions.workflows.image_pipeline.changes import note as _note
from functions.workflows.image_pipeline.phases import CleanupPhase
from functions.workflows.image_pipeline.plan import Plan
from functions.workflows.image_pipeline.slots import builder_slots

STEP = names.CLEANUP_STEP
IMAGE_BUSY = {"PENDING", "IMPORTING", "VALIDATING", "CREATING", "COPYING", "DELETING"}
UNKNOWN = "UNKNOWN"  # AppStream would not describe the builder: cleanup acts on it by name


def cleanup(context: Context, plan: Plan, phase: CleanupPhase) -> CleanupPhase:
    if phase.started_at is None:
        context.records.step_started(plan.run_id, STEP, {"builder_name": plan.builder_name})
        phase = waits.begin(phase, durations.timing_for(plan, "cleanup", context), context, check_first=True)
    actions = list(phase.actions)
    with failures_recorded(context, plan, STEP, names_the_run=False):
        builder_state, builder_settled = _settle_builder(context, plan, actions)
        image_state, image_settled = (None, True)
        if builder_settled:
            image_state, image_settled = _settle_imported_image(context, plan, actions)
        # Both are asked every pass: one waiting on a copy does not hold the other back.
        settled_copies = (
            distribution_cleanup.settle(context, plan, actions),
            ami_distribution_cleanup.settle(context, plan, actions),
        )
        copies_settled = all(settled_copies)
        done = builder_settled and image_settled and copies_settled
        slot_released = phase.slot_released
        if builder_settled and not slot_released:
            builder_slots(context).release(plan.run_id)
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
        # None: the request keeps the imported image, or the run imported none to speak of.
        observed = f"builder {builder_state}"
        if plan.imported_image_name is not None:
            observed += f", imported image {image_state or 'kept'}"
        if not copies_settled:
            observed += ", copies in other regions not deleted yet"
        try:
            phase = waits.checked(phase, done, context, f"{STEP}: {observed}")
        except PhaseTimedOut as timeout:
            settled = (builder_settled, image_settled, *settled_copies)
            raise _left_behind(context, plan, phase, settled, timeout) from timeout
        context.records.step_polled(
            plan.run_id,
            STEP,
            phase.polls,
            observed,
            phase.wait_seconds,
        )
        if phase.done:
            _note_unusable_images(context, plan, actions)
            seconds = waits.elapsed(phase)
            resource = {"actions": actions}
            context.records.step_succeeded(plan.run_id, STEP, resource, seconds)
            if any(action.startswith("deleted image builder") for action in actions):
                # Only a real stop-and-delete is history the planner should learn from.
                context.records.record_phase(plan.run_id, STEP, seconds, resource)
        return phase


def _left_behind(
    context: Context,
    plan: Plan,
    phase: CleanupPhase,
    settled: tuple[bool, ...],
    timeout: PhaseTimedOut,
) -> CleanupIncomplete:
    """The ceiling is reached: name what is still there, so a person or the retention reaper removes it.

    The slot is given back even though the builder may still exist. Nothing else would
    ever release it (this run is ending, and the reaper deletes builders, not slots), so
    holding it would shrink the factory's capacity for good. Released, the counter is one
    below the builders in the account until the builder is removed; a create meanwhile
    meets AppStream's own quota error, which the workflow waits out with long retries.
    A builder left this way has been stopped when AppStream allowed it, so it costs no compute.
    """
    builder_slots(context).release(plan.run_id)
    builder_settled, image_settled, copies_settled, ami_copies_settled = settled
    left = []
    if not builder_settled:
        state = "state unknown" if phase.builder_state == UNKNOWN else phase.builder_state
        left.append(f"image builder {plan.builder_name!r} ({state})")
    if not image_settled:
        left.append(f"imported image {plan.imported_image_name!r} ({phase.imported_image_state})")
    regions = ", ".join(plan.request.distribute.copy_to_regions) if plan.request.distribute else ""
    if not copies_settled:
        left.append(f"copies of image {plan.image_name!r} in {regions}")
    if not ami_copies_settled:
        left.append(f"copies of AMI {plan.ami_name!r} in {regions}")
    return CleanupIncomplete(f"{timeout}; still present: {', '.join(left)}")


def _settle_builder(context: Context, plan: Plan, actions: list[str]) -> tuple[str, bool]:
    """One step toward the builder being gone (or stopped, if it is kept). Returns (state, settled)."""
    name = plan.builder_name
    try:
        builder = appstream.find_builder(name)
    except ImageFactoryError as error:
        if not error.retryable:
            raise
        return _settle_builder_unseen(context, plan, actions, error)
    ours = _owned(context, plan, builder, builders.STEP) if builder is not None else None
    if builder is None or ours is None:
        return "ABSENT", True
    if not ours:
        _note(actions, f"left image builder {name!r}: it is not this run's")
        return "NOT_OURS", True
    state = str(builder.get("State"))
    keep = not plan.request.cleanup.delete_builder
    if state == "RUNNING":
        if _stop(name) == "accepted":
            _note(actions, f"stopped image builder {name!r}")
        return state, False
    if state in {"STOPPED", "FAILED"}:
        if keep:
            return state, True
        if _delete(name) == "accepted":
            _note(actions, f"deleted image builder {name!r}")
        return state, False
    return state, False  # starting, snapshotting, stopping or deleting: look again later


def _settle_builder_unseen(
    context: Context, plan: Plan, actions: list[str], error: ImageFactoryError
) -> tuple[str, bool]:
    """DescribeImageBuilders fails: act on the builder by name, only if this run's records show it made it.

    AppStream's answers to stop and delete then tell where it is: gone, refused in its
    state, or busy in a transition.
    """
    created = context.records.get_step(plan.run_id, builders.STEP)
    if created is None:
        return "ABSENT", True  # the run never got as far as creating a builder
    if not created.get("created"):
        raise error  # a create was tried, and nothing proves what exists is this run's
    name = plan.builder_name
    if plan.request.cleanup.delete_builder:
        answer = _delete(name)
        if answer == "gone":
            return "ABSENT", True
        if answer == "accepted":
            _note(actions, f"deleted image builder {name!r}")
            return "DELETING", False
        if answer == "not_now":
            return UNKNOWN, False  # in a transition: stop would be refused too
    answer = _stop(name)
    if answer == "gone":
        return "ABSENT", True
    if answer == "accepted":
        _note(actions, f"stopped image builder {name!r}")
    # A kept builder is settled once it is not RUNNING: stopping, or refusing a stop in a settled state.
    kept = not plan.request.cleanup.delete_builder and answer in {"accepted", "not_permitted"}
    return UNKNOWN, kept


def _owned(context: Context, plan: Plan, resource: dict[str, Any], step: str) -> bool | None:
    """Whether `resource` is this run's: its tag says so, or, tags unreadable, the run's records do.

    None when it was deleted since it was described.
    """
    try:
        return appstream.ownership(resource, plan.tags)
    except ImageFactoryError as error:
        record = context.records.get_step(plan.run_id, step) if error.retryable else None
        created = (record or {}).get("created")
        if not isinstance(created, dict):
            raise
        return created.get("arn") in (None, resource.get("Arn"))


def _settle_imported_image(context: Context, plan: Plan, actions: list[str]) -> tuple[str | None, bool]:
    name = plan.imported_image_name
    if name is None or not plan.request.cleanup.delete_imported_image:
        return None, True
    image = appstream.find_image(name)
    ours = _owned(context, plan, image, imports.STEP) if image is not None else None
    if image is None or ours is None:
        return "ABSENT", True
    if not ours:
        _note(actions, f"left imported image {name!r}: it is not this run's")
        return "NOT_OURS", True
    state = str(image.get("State"))
    if state in IMAGE_BUSY:
        return state, False
    answer = _ask(f"DeleteImage {name!r}", clients.appstream().delete_image, Name=name)
    if answer == "gone":
        return "ABSENT", True
    if answer == "accepted":
        _note(actions, f"deleted imported image {name!r}")
    return state, False


def _note_unusable_images(context: Context, plan: Plan, actions: list[str]) -> None:
    """Name each image of this run that stays behind unusable, and how to remove it."""
    images = [("image", plan.image_name, snapshots.STEP)]
    if plan.imported_image_name is not None and not plan.request.cleanup.delete_imported_image:
        images.insert(0, ("imported image", plan.imported_image_name, imports.STEP))
    for what, name, step in images:
        try:
            image = appstream.find_image(name)
            ours = _owned(context, plan, image, step) if image is not None else None
        except ImageFactoryError as error:
            if not error.retryable:
                raise
            continue  # only a note: AppStream busy now is no reason to hold the run
        state = str((image or {}).get("State"))
        if not ours or state == "AVAILABLE":
            continue
        when = f"once it is no longer {state}, remove" if state in IMAGE_BUSY else "remove"
        _note(
            actions,
            f"left {what} {name!r} {state}: {when} it with `aws appstream delete-image --name {name}`",
        )


def _stop(name: str) -> Answer:
    return _ask(f"StopImageBuilder {name!r}", clients.appstream().stop_image_builder, Name=name)


def _delete(name: str) -> Answer:
    return _ask(f"DeleteImageBuilder {name!r}", clients.appstream().delete_image_builder, Name=name)
