"""A cancelled run's cleanup execution: plan the cleanup of the aborted run, then record it CANCELLED.

The cleanup execution is an execution of the run's own state machine, started by the
stage's rule on the aborted execution's status change event (functions.cancellation).
`plan` gives the state the workflow's cleanup path expects, planned from the aborted
execution (its names, tags and request), with the error that makes cleanup undo what
the run made and the moment the cleanup may begin. `record_cancelled` closes the run.

EventBridge delivers at least once and the run API may start a cleanup again (a
repeated cancel of a run still RUNNING), so two cleanups of one run may run at once:
the cleanups act only on what is still there, and recording is a no-op once the run
has ended.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from functions import names, timeutil
from functions.cancellation import CANCELLED_ERROR, STOPPED_OUTSIDE, AbortedExecution, settle_seconds
from functions.causes import cause_message
from functions.context import Context
from functions.execution import Execution, run_id_for
from functions.workflows import DEFAULT_WORKFLOW

# The result key the cancellation is kept under on the run record (`resources.cancellation`).
RESULT_KEY = "cancellation"
# Steps cleanup records itself (every workflow's cleanup step is named so): not marked CANCELLED.
CLEANUP_STEP = "cleanup"


def plan(context: Context, workflow: str, aborted: AbortedExecution, stage: str) -> dict[str, Any]:
    """The state the workflow's cleanup loop starts from, as the aborted run planned it."""
    run = aborted.run_execution()
    execution = Execution(id=run.arn, name=run.name, start_time=run.start_time())
    request = run.request()
    if request is None:  # the event could not carry the input: the run record keeps the request
        recorded = context.records.get_run(run_id_for(run.name))
        request = recorded.get("request") if recorded else None
    if workflow == DEFAULT_WORKFLOW:
        from functions.services import runs

        document = runs.validate(request, execution, stage)
    else:
        from functions.lifecycle import runs as lifecycle_runs

        document = lifecycle_runs.validate(workflow, request, execution, stage)
    settled_at = aborted.stopped_at() + timedelta(seconds=settle_seconds(workflow))
    return {
        **document,
        "error": {"Error": CANCELLED_ERROR, "Cause": aborted.cause or STOPPED_OUTSIDE},
        # The Wait before cleanup reads `settled_at`; a failing cleanup's RecordFailure, `aborted`.
        "cancellation": {
            "settled_at": settled_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "aborted": aborted.model_dump(mode="json"),
        },
    }


def record_cancelled(
    context: Context, aborted: AbortedExecution, document: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Close the aborted run as CANCELLED with what its cleanup did (or why it could not finish)."""
    run_execution = aborted.run_execution()
    run_id = run_id_for(run_execution.name)
    answer = {"run_id": run_id, "status": "CANCELLED"}
    run = context.records.get_run(run_id)
    if run is None:  # stopped before it recorded itself: there is no run to close
        return {**answer, "recorded": False}
    if run["status"] != "RUNNING":  # a second delivery of the same stop
        return {**answer, "status": str(run["status"])}
    context.records.request_cancel(run_id, _who(aborted), aborted.stopped_at())
    state = document or {}
    cleanup = state.get("cleanup") if isinstance(state.get("cleanup"), dict) else {}
    actions = [str(action) for action in (cleanup or {}).get("actions", [])]
    for step in context.records.get_steps(run_id):
        if step.get("status") == "RUNNING" and step.get("step") != CLEANUP_STEP:
            context.records.step_cancelled(run_id, str(step["step"]))
    problem = _problem(run, state)
    if problem is not None:
        context.records.record_run_error(run_id, *problem)
    context.records.record_result(run_id, RESULT_KEY, {"actions": actions, "cleaned_up_at": _now()})
    context.records.finish_run(run_id, "CANCELLED")
    return {**answer, "actions": actions}


def _problem(run: dict[str, Any], state: dict[str, Any]) -> tuple[str, str, str] | None:
    """(step, code, message) of what the cancellation could not undo, if anything."""
    cleanup_error = state.get("cleanup_error")
    if isinstance(cleanup_error, dict):
        code = str(cleanup_error.get("Error") or "Unknown")
        return CLEANUP_STEP, code, cause_message(cleanup_error.get("Cause"))
    held = run.get(names.RUN_CANCEL_HELD)
    if isinstance(held, str):
        # The stop landed after a look that found nothing held (a console stop, or a race).
        return str(run.get("current_step") or "cancel"), "CleanupIncomplete", f"stopped while {held}"
    return None


def _who(aborted: AbortedExecution) -> str:
    cause = aborted.cause or ""
    return cause.removeprefix("cancelled by ") if cause.startswith("cancelled by ") else STOPPED_OUTSIDE


def _now() -> str:
    return timeutil.iso(timeutil.now())


def cleanup_failed(context: Context, document: dict[str, Any]) -> tuple[str, str, str]:
    """A cancelled run's cleanup failed (RecordFailure of a cleanup execution): the run ends
    CANCELLED with the cleanup's error; returns (run id, error, cause) for the Fail state."""
    aborted = AbortedExecution.model_validate(document["cancellation"]["aborted"])
    answer = record_cancelled(context, aborted, document)
    caught = document.get("cleanup_error") or {}
    code = str(caught.get("Error") or "Unknown")
    return str(answer["run_id"]), code, f"{CLEANUP_STEP}: {cause_message(caught.get('Cause'))}"
