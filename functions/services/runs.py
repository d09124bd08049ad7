"""The run itself: validate the request into a plan, record the start, record how it ended."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from functions.causes import cause_message
from functions.context import Context
from functions.errors import InvalidPipelineRequest
from functions.phases import BuilderPhase, CleanupPhase, ExportPhase, SlotPhase, SnapshotPhase, SourcePhase
from functions.plan import Execution, Plan, build_plan, name_values, run_id_for
from functions.request import PipelineRequest, parse_request
from functions.services.cleanup import STEP as CLEANUP_STEP


class Flow(BaseModel):
    """What the Choice states branch on."""

    import_image: bool
    export: bool


def validate(raw: Any, execution: Execution, stage: str) -> dict[str, Any]:
    """The run's first state document, or InvalidPipelineRequest naming every bad field."""
    named = raw.get("pipeline") if isinstance(raw, dict) else None
    pipeline = named if isinstance(named, str) else "pipeline"
    result = parse_request(raw, name_values(execution, pipeline))
    if not isinstance(result, PipelineRequest):
        raise InvalidPipelineRequest(
            "invalid pipeline request: " + "; ".join(str(problem) for problem in result)
        )
    plan = build_plan(result, execution, stage)
    return initial_document(plan)


def initial_document(plan: Plan) -> dict[str, Any]:
    request = plan.request
    flow = Flow(
        import_image=request.imports,
        export=request.export is not None,
    )
    phases: dict[str, BaseModel] = {
        "source": SourcePhase(image_name=plan.source_image_name),
        "slot": SlotPhase(),
        "builder": BuilderPhase(name=plan.builder_name),
        "snapshot": SnapshotPhase(image_name=plan.image_name, mode=request.snapshot.mode),
        "export": ExportPhase(ami_name=plan.ami_name),
        "cleanup": CleanupPhase(),
    }
    return {
        "plan": plan.to_state(),
        "flow": flow.model_dump(),
        **{key: phase.model_dump(mode="json") for key, phase in phases.items()},
        # Filled by Catch: the cleanup loop's Choice tells success from failure by `error`.
        "error": None,
        "cleanup_error": None,
    }


def record_start(context: Context, plan: Plan) -> None:
    context.records.start_run(plan.run_id, plan.pipeline, plan.execution_arn, plan.request.to_document())


def record_success(context: Context, plan: Plan, document: dict[str, Any]) -> dict[str, Any]:
    """Close the run as SUCCEEDED; the result is the execution's output."""
    context.records.finish_run(plan.run_id, "SUCCEEDED")
    snapshot = SnapshotPhase.model_validate(document["snapshot"])
    export = (
        ExportPhase.model_validate(document["export"]) if document.get("flow", {}).get("export") else None
    )
    cleanup = CleanupPhase.model_validate(document.get("cleanup", {}))
    return {
        "run_id": plan.run_id,
        "pipeline": plan.pipeline,
        "status": "SUCCEEDED",
        "source_image": plan.source_image_name,
        "image": {"name": snapshot.image_name, "arn": snapshot.image_arn},
        "ami": {"name": export.ami_name, "id": export.ami_id} if export else None,
        "cleanup": cleanup.actions,
    }


class Failure(BaseModel):
    """How a failed run ends: the Fail state's Error and Cause."""

    run_id: str
    status: str = "FAILED"
    step: str
    error: str
    cause: str


def record_failure(
    context: Context, document: dict[str, Any], execution: Execution, plan_type: Any = Plan
) -> Failure:
    """Close the run as FAILED, naming the step that failed; works before the run exists.

    The first error a step recorded is kept. An error no step recorded (retries given up,
    a crashed task) belongs to the step the run was in when it was caught, not to cleanup,
    which ran after it. Every step still RUNNING is closed: a run that ended has none.
    `plan_type` reads the state's plan: any model with `run_id`, `pipeline` and `execution_arn`
    (the lifecycle workflows have their own plan).
    """
    if isinstance(document.get("cancellation"), dict):  # the cleanup of a cancelled run failed
        from functions.services import cancellation

        run_id, code, cause = cancellation.cleanup_failed(context, document)
        return Failure(run_id=run_id, status="CANCELLED", step="cleanup", error=code, cause=cause)
    caught = document.get("error") or document.get("cleanup_error") or {}
    code = str(caught.get("Error") or "Unknown")
    message = cause_message(caught.get("Cause"))
    cleanup_problem = document.get("cleanup_error") if document.get("error") else None
    plan_document = document.get("plan")
    if not isinstance(plan_document, dict):
        run_id = run_id_for(execution.name)
        pipeline = document.get("pipeline") if isinstance(document.get("pipeline"), str) else "unknown"
        context.records.record_rejected(run_id, str(pipeline), execution.id, "validate", code, message)
        return Failure(run_id=run_id, step="validate", error=code, cause=message)
    plan = plan_type.model_validate(plan_document)
    run = context.records.get_run(plan.run_id)
    if run is None:  # the run record itself could not be written
        context.records.record_rejected(
            plan.run_id, plan.pipeline, plan.execution_arn, "record", code, message
        )
        return Failure(run_id=plan.run_id, step="record", error=code, cause=message)
    steps = context.records.get_steps(plan.run_id)
    step = failing_step(run, steps, interrupted=bool(document.get("error")))
    finished = context.records.finish_run(
        plan.run_id, "FAILED", {"step": step, "code": code, "message": message}
    )
    recorded = finished.get("error") or {"step": step, "code": code, "message": message}
    close_running_steps(context, plan.run_id, steps, recorded, cleanup_problem)
    cause = str(recorded["message"])
    if not cause.startswith(f"{recorded['step']}:"):
        cause = f"{recorded['step']}: {cause}"
    if cleanup_problem:
        cause += f" (cleanup also failed: {cause_message(cleanup_problem.get('Cause'))})"
    return Failure(run_id=plan.run_id, step=str(recorded["step"]), error=str(recorded["code"]), cause=cause)


def failing_step(run: dict[str, Any], steps: list[dict[str, Any]], *, interrupted: bool) -> str:
    """The step a failed run names: the one that recorded the error, else the one it interrupted.

    `interrupted` says the error was caught on the way (not in cleanup): the step it
    interrupted is the latest one still RUNNING other than cleanup, which had already
    started (and moved `current_step`) by the time the run is recorded as failed.
    """
    recorded = run.get("error")
    if isinstance(recorded, dict) and recorded.get("step"):
        return str(recorded["step"])
    if interrupted:
        running = [
            step for step in steps if step.get("status") == "RUNNING" and step.get("step") != CLEANUP_STEP
        ]
        if running:
            latest = max(
                running, key=lambda step: (str(step.get("started_at", "")), step.get("step_order", 0))
            )
            return str(latest["step"])
    return str(run.get("current_step") or "start")


def close_running_steps(
    context: Context,
    run_id: str,
    steps: list[dict[str, Any]],
    failure: dict[str, Any],
    cleanup_problem: dict[str, Any] | None,
) -> None:
    """End every step a failed run left RUNNING: the failing step with the run's error, cleanup with
    its own, any other with a note that the run stopped."""
    failed_step = str(failure["step"])
    for step in steps:
        name = str(step.get("step"))
        if step.get("status") != "RUNNING":
            continue
        if name == failed_step:
            context.records.step_failed(run_id, name, str(failure["code"]), str(failure["message"]))
        elif name == CLEANUP_STEP and cleanup_problem:
            problem_code = str(cleanup_problem.get("Error") or "Unknown")
            context.records.step_failed(
                run_id, name, problem_code, cause_message(cleanup_problem.get("Cause"))
            )
        else:
            note = f"{name}: did not finish: the run failed at step {failed_step}"
            context.records.step_failed(run_id, name, "RunFailed", note)
