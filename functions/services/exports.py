"""The export: CreateExportImageTask from the new image to an EC2 AMI; wait for COMPLETED."""

from __future__ import annotations

from typing import Any

from functions import clients, names
from functions.context import Context
from functions.errors import ExportFailed
from functions.phases import ExportPhase
from functions.plan import Plan
from functions.services import appstream, waits
from functions.services.steps import failures_recorded

STEP = "export"


def find_run_export(plan: Plan) -> dict[str, Any] | None:
    """The export task this run already started, recognised by its AMI name and the run tag."""
    client = clients.appstream()
    token: str | None = None
    while True:
        page = appstream.call(
            "ListExportImageTasks",
            client.list_export_image_tasks,
            MaxResults=500,
            **({"NextToken": token} if token else {}),
        )
        for task in page.get("ExportImageTasks", []):
            tags = task.get("TagSpecifications") or {}
            if task.get("AmiName") == plan.ami_name and tags.get(names.TAG_RUN_ID) == plan.run_id:
                return dict(task)
        token = page.get("NextToken")
        if not token:
            return None


def start_export(context: Context, plan: Plan) -> ExportPhase:
    export = plan.request.export
    assert export is not None, "the state machine exports only when the request asks for it"
    context.records.step_started(
        plan.run_id, STEP, {"ami_name": plan.ami_name, "image_name": plan.image_name}
    )
    with failures_recorded(context, plan, STEP):
        task = find_run_export(plan)
        if task is None:
            params: dict[str, Any] = {
                "ImageName": plan.image_name,
                "AmiName": plan.ami_name,
                "IamRoleArn": export.role_arn,
                "TagSpecifications": {**export.tags, **plan.tags},
            }
            if export.description:
                params["AmiDescription"] = export.description
            task = appstream.call(
                f"CreateExportImageTask {plan.ami_name!r}",
                clients.appstream().create_export_image_task,
                **params,
            )["ExportImageTask"]
        phase = ExportPhase(ami_name=plan.ami_name, task_id=task.get("TaskId"), state=task.get("State"))
        return waits.begin(phase, waits.timing_for(plan, "export", context), context)


def check_export(context: Context, plan: Plan, phase: ExportPhase) -> ExportPhase:
    with failures_recorded(context, plan, STEP):
        task = appstream.call(
            f"GetExportImageTask {phase.task_id!r}",
            clients.appstream().get_export_image_task,
            TaskId=phase.task_id,
        )["ExportImageTask"]
        state = str(task.get("State"))
        if state in {"FAILED", "TIMED_OUT"}:
            details = appstream.export_error_details(task)
            raise ExportFailed(
                f"{STEP}: export of {plan.image_name!r} to AMI {phase.ami_name!r} is {state}: "
                f"{details or 'no details given'}"
            )
        phase = phase.model_copy(update={"state": state, "ami_id": task.get("AmiId")})
        label = f"{STEP}: export to AMI {phase.ami_name!r} ({state})"
        phase = waits.checked(phase, state == "COMPLETED", context, label)
        context.records.step_polled(plan.run_id, STEP, phase.polls, state, phase.wait_seconds)
        if phase.done:
            seconds = waits.elapsed(phase)
            resource = {"ami_name": phase.ami_name, "ami_id": phase.ami_id, "task_id": phase.task_id}
            context.records.step_succeeded(plan.run_id, STEP, resource, seconds)
            context.records.record_phase(plan.run_id, STEP, seconds, resource)
        return phase
