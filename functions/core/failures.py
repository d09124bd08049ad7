"""How every run ends when it fails: the run record FAILED, naming the step that failed, and every
step it left RUNNING closed. (How a run starts and succeeds is each workflow's own.)"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from functions.core import cancellation
from functions.core.causes import cause_message
from functions.core.context import Context
from functions.core.execution import Execution, run_id_for
from functions.core.model import Model
from functions.core.names import CLEANUP_STEP
from functions.core.observability import logger, metrics
from functions.core.plan import RunPlan


class Failure(Model):
    """How a failed run ends: the Fail state's Error and Cause."""

    run_id: str
    status: str = "FAILED"
    step: str
    error: str
    cause: str


def record_failure(
    context: Context, document: dict[str, Any], execution: Execution, plan_type: type[RunPlan]
) -> Failure:
    """Close the run as FAILED, naming the step that failed; works before the run exists.

    The first error a step recorded is kept. An error no step recorded (retries given up,
    a crashed task) belongs to the step the run was in when it was caught, not to cleanup,
    which ran after it. Every step still RUNNING is closed: a run that ended has none.
    A state that is no Lambda task (a chained workflow) names its step in `failed_step`, so the
    failure is recorded against it rather than the last task's step. `plan_type` reads the
    state's plan (each workflow's plan is a `RunPlan`).
    """
    if isinstance(document.get("cancellation"), dict):  # the cleanup of a cancelled run failed
        run_id, code, cause = cancellation.cleanup_failed(context, document)
        return Failure(run_id=run_id, status="CANCELLED", step="cleanup", error=code, cause=cause)
    step, caught, planned = document.get("failed_step"), document.get("error"), document.get("plan")
    if isinstance(step, str) and isinstance(caught, dict) and isinstance(planned, dict):
        run_id, code = str(planned["run_id"]), str(caught.get("Error") or "Unknown")
        message = f"{step}: {cause_message(caught.get('Cause'))}"
        context.records.step_failed(run_id, step, code, message)
        context.records.record_run_error(run_id, step, code, message)
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


def reported(failure: Failure) -> Failure:
    """A recorded failure, logged with its run and counted (the RunFailed metric)."""
    logger.append_keys(run_id=failure.run_id)
    logger.info("run failed", extra={"step": failure.step, "error_code": failure.error})
    metrics.add_metric(name="RunFailed", unit=MetricUnit.Count, value=1)
    return failure


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
