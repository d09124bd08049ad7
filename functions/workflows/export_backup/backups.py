"""Export backups: pick the images, export each to an AMI (a Map state runs several at once), report.

Each image is its own step record (`export:<image>`), and its export is adopted on a
retry (the AMI name is derived from the run, and the task carries the run tag). A
failed export fails only its image: the others finish, are recorded as exported,
and the run then fails naming every image that did not make it, so the next
scheduled run exports only those again.
"""

from __future__ import annotations

import fnmatch
from typing import Any

from pydantic import Field

from functions.core import appstream, clients, export_tasks, signals, timeutil, waits
from functions.core.causes import cause_message
from functions.core.context import Context
from functions.core.errors import AppStreamRequestRejected, ExportFailed
from functions.core.model import Model
from functions.core.plan import LifecyclePlan
from functions.core.request_fields import render_ami_name
from functions.core.steps import failures_recorded
from functions.core.waits import WaitProgress
from functions.workflows.export_backup.backup_records import BackupRecords, unchanged
from functions.workflows.export_backup.request import ExportBackupRequest

SELECTION_STEP = "selection"
DEFAULT_EXPECTED = 2100.0
DEFAULT_CEILING = 4 * 3600.0


class BackupImage(Model):
    image_name: str
    image_arn: str
    created: float  # epoch seconds of the image's CreatedTime: a recreated image is a new version
    ami_name: str


class Selection(Model):
    items: list[BackupImage]
    skipped: list[dict[str, str]] = Field(default_factory=list)  # image name and why
    max_concurrency: int


class ImageExport(WaitProgress):
    image: BackupImage
    task_id: str | None = None
    ami_id: str | None = None
    state: str | None = None


def export_step(image_name: str) -> str:
    return f"export:{image_name}"


def _records(context: Context) -> BackupRecords:
    return BackupRecords(context.settings.runs_table)


# --- select -----------------------------------------------------------------------------------


def select_images(context: Context, plan: LifecyclePlan) -> Selection:
    request = plan.typed(ExportBackupRequest)
    context.records.step_started(plan.run_id, SELECTION_STEP, {"images": request.images.describe()})
    with failures_recorded(context, plan, SELECTION_STEP):
        candidates = _candidates(request)
        last = _records(context).last_exports(plan.pipeline) if request.skip_unchanged else {}
        items, skipped = [], []
        for image in candidates:
            name = str(image["Name"])
            if image.get("State") != "AVAILABLE":
                skipped.append({"image_name": name, "reason": f"{image.get('State')}, not AVAILABLE"})
                continue
            item = BackupImage(
                image_name=name,
                image_arn=str(image["Arn"]),
                created=image["CreatedTime"].timestamp(),
                ami_name=render_ami_name(request.ami_name, name, plan.date, plan.run_id),
            )
            if unchanged(item.model_dump(), last.get(name)):
                skipped.append({"image_name": name, "reason": f"unchanged since AMI {last[name]['ami_id']}"})
                continue
            items.append(item)
    selection = Selection(items=items, skipped=skipped, max_concurrency=request.max_concurrency)
    context.records.step_succeeded(
        plan.run_id, SELECTION_STEP, {"selected": len(items), "skipped": len(skipped)}, None
    )
    return selection


def _candidates(request: ExportBackupRequest) -> list[dict[str, Any]]:
    selection = request.images
    if selection.image_name is not None:
        image = appstream.find_image(selection.image_name)
        if image is None or image.get("Visibility") == "PUBLIC":
            raise AppStreamRequestRejected(
                f"{SELECTION_STEP}: image {selection.image_name!r} does not exist in this account"
            )
        return [image]
    matching = [
        image
        for image in _private_images()
        if fnmatch.fnmatchcase(str(image["Name"]), f"{selection.name_prefix or ''}*")
    ]
    if selection.tags:
        matching = [
            image
            for image in matching
            if selection.tags.items() <= appstream.tags_of(str(image["Arn"])).items()
        ]
    return sorted(matching, key=lambda image: str(image["Name"]))


def _private_images() -> list[dict[str, Any]]:
    client = clients.appstream()
    images: list[dict[str, Any]] = []
    token: str | None = None
    while True:
        page = appstream.call(
            "DescribeImages (private)",
            client.describe_images,
            Type="PRIVATE",
            MaxResults=25,
            **({"NextToken": token} if token else {}),
        )
        images += page.get("Images", [])
        token = page.get("NextToken")
        if not token:
            return images


# --- export one image -------------------------------------------------------------------------


def start_export(context: Context, plan: LifecyclePlan, image: BackupImage) -> ImageExport:
    request = plan.typed(ExportBackupRequest)
    step = export_step(image.image_name)
    # The image is named in the step's record so retention keeps it while this run exports it.
    resource = {"ami_name": image.ami_name, "image_name": image.image_name}
    context.records.step_started(plan.run_id, step, resource)
    with failures_recorded(context, plan, step):
        task = export_tasks.start_run_export(
            context.records,
            step,
            run_id=plan.run_id,
            image_name=image.image_name,
            ami_name=image.ami_name,
            role_arn=request.role_arn,
            tags={**request.tags, **plan.tags},
            description=request.description,
        )
        export = ImageExport(image=image, task_id=task.get("TaskId"), state=task.get("State"))
        wait = waits.phase_timing(
            context, plan.pipeline, "export", request.waits.export, DEFAULT_EXPECTED, DEFAULT_CEILING
        )
        return waits.begin(export, wait, context)


def wait_for_export(context: Context, export: ImageExport, token: str) -> None:
    """Leave the wait's token for the AMI's state change (EC2 names the AMI once it is available or
    failed); the wait ends then, or when the planned interval is up."""
    signals.store_token(
        context.settings.runs_table, signals.AMI_STATE, export.image.ami_name, token, now=timeutil.now_epoch()
    )


def check_export(context: Context, plan: LifecyclePlan, export: ImageExport) -> ImageExport:
    step = export_step(export.image.image_name)
    with failures_recorded(context, plan, step):
        task = export_tasks.read_export(export.task_id)
        state = str(task.get("State"))
        if state in {"FAILED", "TIMED_OUT"}:
            details = appstream.export_error_details(task)
            raise ExportFailed(f"{step}: AMI {export.image.ami_name!r} is {state}: {details or 'no details'}")
        export = export.model_copy(update={"state": state, "ami_id": task.get("AmiId")})
        export = waits.checked(export, state == "COMPLETED", context, f"{step} ({state})")
        context.records.step_polled(plan.run_id, step, export.polls, state, export.wait_seconds)
        if export.done:
            ami = {"ami_name": export.image.ami_name, "ami_id": export.ami_id, "task_id": export.task_id}
            _records(context).record_export(plan.pipeline, export.image.model_dump(), ami, plan.run_id)
            seconds = waits.elapsed(export)
            context.records.step_succeeded(plan.run_id, step, ami, seconds)
            context.records.record_phase(plan.run_id, step, seconds, ami)
        return export


# --- report -----------------------------------------------------------------------------------


def report(selection: Selection, results: list[dict[str, Any]]) -> dict[str, Any]:
    """The run's result; ExportFailed naming every image whose export failed."""
    failed = [result for result in results if result.get("status") == "FAILED"]
    if failed:
        reasons = "; ".join(f"{item['image_name']}: {_cause(item.get('error'))}" for item in failed)
        raise ExportFailed(f"export: {len(failed)} of {len(results)} exports failed: {reasons}")
    return {
        "exported": [
            {key: result.get(key) for key in ("image_name", "ami_name", "ami_id")} for result in results
        ],
        "skipped": selection.skipped,
    }


def _cause(error: Any) -> str:
    if not isinstance(error, dict):
        return "no cause given"
    return f"{error.get('Error', 'Unknown')}: {cause_message(error.get('Cause'))}"
