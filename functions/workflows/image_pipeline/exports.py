"""The export: CreateExportImageTask from the new image to an EC2 AMI; wait for COMPLETED."""

from __future__ import annotations

from functions.core import appstream, export_tasks, signals, timeutil, waits
from functions.core.context import Context
from functions.core.errors import ExportFailed
from functions.core.steps import failures_recorded
from functions.workflows.image_pipeline import durations
from functions.workflows.image_pipeline.phases import ExportPhase
from functions.workflows.image_pipeline.plan import Plan

STEP = "export"


def start_export(context: Context, plan: Plan) -> ExportPhase:
    export = plan.request.export
    assert export is not None and plan.ami_name is not None, "exported only when the request asks"
    context.records.step_started(
        plan.run_id, STEP, {"ami_name": plan.ami_name, "image_name": plan.image_name}
    )
    with failures_recorded(context, plan, STEP):
        task = export_tasks.start_run_export(
            context.records,
            STEP,
            run_id=plan.run_id,
            image_name=plan.image_name,
            ami_name=plan.ami_name,
            role_arn=export.role_arn,
            tags={**export.tags, **plan.tags},
            description=export.description,
        )
        phase = ExportPhase(ami_name=plan.ami_name, task_id=task.get("TaskId"), state=task.get("State"))
        return waits.begin(phase, durations.timing_for(plan, "export", context), context)


def wait_for_export(context: Context, plan: Plan, phase: ExportPhase, token: str) -> None:
    """Leave the wait's token for the AMI's state change: the wait ends when EC2 says the AMI is
    available or failed, or when the planned interval is up (the state machine's timeout)."""
    assert phase.ami_name is not None, "the export names its AMI"
    signals.store_token(
        context.settings.runs_table, signals.AMI_STATE, phase.ami_name, token, now=timeutil.now_epoch()
    )


def check_export(context: Context, plan: Plan, phase: ExportPhase) -> ExportPhase:
    with failures_recorded(context, plan, STEP):
        task = export_tasks.read_export(phase.task_id)
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
