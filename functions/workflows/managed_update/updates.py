"""Managed updates: ask AppStream (dry run) whether an image has an update, make the updated image,
wait for it, and clean up a failed one.

CreateUpdatedImage counts against AppStream's limit on concurrent updates (5 by
default): a refusal for that limit is `AppStreamQuotaExceeded`, which the state
machine retries with a long backoff, so extra runs wait for a free update instead
of failing.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from functions.core import appstream, clients, names, waits
from functions.core.context import Context
from functions.core.errors import AppStreamRequestRejected, ImageUpdateFailed
from functions.core.model import Model
from functions.core.placeholders import NameValues, render
from functions.core.plan import LifecyclePlan
from functions.core.steps import failures_recorded
from functions.core.waits import WaitProgress
from functions.workflows.managed_update.request import ManagedUpdateRequest

CHECK_STEP, UPDATE_STEP, CLEANUP_STEP = "check", "update", names.CLEANUP_STEP
DEFAULT_EXPECTED = 3600.0
DEFAULT_CEILING = 6 * 3600.0
CLEANUP_EXPECTED, CLEANUP_CEILING = 60.0, 2 * 3600.0
_SETTLED = {"AVAILABLE", "FAILED"}


class UpdateCheck(Model):
    available: bool
    image_name: str
    image_arn: str | None = None
    reason: str


class UpdatePhase(WaitProgress):
    image_name: str  # the new image
    image_arn: str | None = None
    state: str | None = None
    export_request: dict[str, Any] | None = None  # the export-backup request that follows, if asked


class UpdateCleanup(WaitProgress):
    image_state: str | None = None
    actions: list[str] = Field(default_factory=list)


def new_image_name(plan: LifecyclePlan, request: ManagedUpdateRequest) -> str:
    return render(request.new_image_name, NameValues(pipeline=request.name, date=plan.date, run=plan.run_id))


# --- is there an update? ----------------------------------------------------------------------


def check_available(context: Context, plan: LifecyclePlan) -> UpdateCheck:
    request = plan.typed(ManagedUpdateRequest)
    context.records.step_started(plan.run_id, CHECK_STEP, {"image_name": request.image_name})
    with failures_recorded(context, plan, CHECK_STEP):
        answer = appstream.call(
            f"CreateUpdatedImage (dry run) {request.image_name!r}",
            clients.appstream().create_updated_image,
            existingImageName=request.image_name,
            newImageName=new_image_name(plan, request),
            dryRun=True,
        )
    available = bool(answer.get("canUpdateImage"))
    check = UpdateCheck(
        available=available,
        image_name=request.image_name,
        image_arn=(answer.get("image") or {}).get("Arn"),
        reason="an update is available" if available else "the image already has the latest software",
    )
    context.records.step_succeeded(plan.run_id, CHECK_STEP, check.model_dump(), None)
    return check


# --- update -----------------------------------------------------------------------------------


def start_update(context: Context, plan: LifecyclePlan) -> UpdatePhase:
    request = plan.typed(ManagedUpdateRequest)
    name = new_image_name(plan, request)
    context.records.step_started(plan.run_id, UPDATE_STEP, {"image_name": name})
    with failures_recorded(context, plan, UPDATE_STEP):
        params: dict[str, Any] = {
            "existingImageName": request.image_name,
            "newImageName": name,
            # An updated image is as large as its source (docs/emulator-fidelity.md): keep its size tag.
            "newImageTags": {**_volume_tag_of(request.image_name), **request.tags, **plan.tags},
        }
        if request.new_image_description:
            params["newImageDescription"] = request.new_image_description
        if request.new_image_display_name:
            params["newImageDisplayName"] = request.new_image_display_name
        try:
            image = appstream.call(
                f"CreateUpdatedImage {name!r}", clients.appstream().create_updated_image, **params
            )["image"]
        except AppStreamRequestRejected as error:
            if not appstream.already_exists(error):
                raise
            image = appstream.adopt("image", appstream.find_image(name), name, plan.tags)
        phase = UpdatePhase(
            image_name=name,
            image_arn=image.get("Arn"),
            state=image.get("State"),
            export_request=_export_request(plan, request, name),
        )
        wait = waits.phase_timing(
            context, plan.pipeline, UPDATE_STEP, request.waits.update, DEFAULT_EXPECTED, DEFAULT_CEILING
        )
        return waits.begin(phase, wait, context)


def _export_request(plan: LifecyclePlan, request: ManagedUpdateRequest, image: str) -> dict[str, Any] | None:
    """The export-backup request of the chained run: this job's backups, of the new image only."""
    export = request.then_export
    if export is None:
        return None
    return {
        "name": f"{request.name}-export"[:40],
        "images": {"image_name": image},
        "role_arn": export.role_arn,
        "ami_name": export.ami_name,
        "tags": dict(export.tags),
        "max_concurrency": 1,
        "skip_unchanged": False,
    }


def check_update(context: Context, plan: LifecyclePlan, phase: UpdatePhase) -> UpdatePhase:
    with failures_recorded(context, plan, UPDATE_STEP):
        image = appstream.find_image(phase.image_name)
        if image is None:
            raise ImageUpdateFailed(f"{UPDATE_STEP}: the new image {phase.image_name!r} disappeared")
        state = str(image.get("State"))
        if state == "FAILED":
            raise ImageUpdateFailed(
                f"{UPDATE_STEP}: image {phase.image_name!r} is FAILED: {appstream.reason_of(image)}"
            )
        phase = phase.model_copy(update={"state": state, "image_arn": image.get("Arn")})
        phase = waits.checked(
            phase, state == "AVAILABLE", context, f"{UPDATE_STEP}: {phase.image_name} ({state})"
        )
        context.records.step_polled(plan.run_id, UPDATE_STEP, phase.polls, state, phase.wait_seconds)
        if phase.done:
            resource = {"image_name": phase.image_name, "image_arn": phase.image_arn}
            seconds = waits.elapsed(phase)
            context.records.step_succeeded(plan.run_id, UPDATE_STEP, resource, seconds)
            context.records.record_phase(plan.run_id, UPDATE_STEP, seconds, resource)
        return phase


# --- cleanup ----------------------------------------------------------------------------------


def cleanup(
    context: Context, plan: LifecyclePlan, update: UpdatePhase | None, progress: UpdateCleanup, failed: bool
) -> UpdateCleanup:
    """After a failure, delete the new image this run made (once it settles); nothing after a success."""
    request = plan.typed(ManagedUpdateRequest)
    if progress.started_at is None:
        wait = waits.phase_timing(
            context, plan.pipeline, CLEANUP_STEP, request.waits.cleanup, CLEANUP_EXPECTED, CLEANUP_CEILING
        )
        progress = waits.begin(progress, wait, context, check_first=True)
    name = update.image_name if update is not None else new_image_name(plan, request)
    image = appstream.find_image(name) if failed else None
    if image is not None and not appstream.owned_by(image, plan.tags):
        image = None  # never touch an image another run or a person made
    if image is None:
        return progress.model_copy(update={"done": True, "wait_seconds": 0, "image_state": None})
    state = str(image.get("State"))
    if state in _SETTLED:
        appstream.call(f"DeleteImage {name!r}", clients.appstream().delete_image, Name=name)
        actions = [*progress.actions, f"deleted {state} image {name}"]
        return progress.model_copy(
            update={"done": True, "wait_seconds": 0, "image_state": "DELETED", "actions": actions}
        )
    # A PENDING image cannot be deleted: wait for it to settle.
    progress = progress.model_copy(update={"image_state": state})
    return waits.checked(progress, False, context, f"{CLEANUP_STEP}: image {name} ({state})")


def _volume_tag_of(image_name: str) -> dict[str, str]:
    size = appstream.image_volume_gb(image_name)
    return names.volume_tags(size) if size is not None else {}
