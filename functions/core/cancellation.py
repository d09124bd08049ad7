"""A stopped run's own cleanup: the aborted execution it is started with, and how long to settle.

StopExecution ends an execution without running its Catch. Step Functions then sends
"Step Functions Execution Status Change" with status ABORTED to the account's default
event bus; the stage's rule for that state machine (stacks/cancel_rules.py) starts the
same state machine again with the aborted execution as its input (`aborted_document`).
The definition's first state sends such an input to the workflow's own cleanup path, and
its end records the run CANCELLED (`record_cancelled`).

A task in flight when the execution stopped may still finish afterwards (a builder or an
image created a moment later): the cleanup begins once the longest of those tasks could
have ended (functions.workflows.cancellation), so the pass that finds nothing left began after it.

EventBridge delivers at least once and the run API may start a cleanup again (a
repeated cancel of a run still RUNNING), so two cleanups of one run may run at once:
the cleanups act only on what is still there, and recording is a no-op once the run
has ended.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from pydantic import Field

from functions.core import names, timeutil
from functions.core.causes import cause_message
from functions.core.context import Context
from functions.core.execution import run_id_for
from functions.core.model import Model

# The key of the cleanup execution's input that carries the aborted execution.
ABORTED_KEY = "aborted_execution"
# The error a cancelled run's cleanup state carries, so cleanups that undo only after a
# failure (a managed update's new image) undo it.
CANCELLED_ERROR = "RunCancelled"
# Recorded as who cancelled when the stop gives no cause (a stop in the console).
STOPPED_OUTSIDE = "a stop outside the API"

# The result key the cancellation is kept under on the run record (`resources.cancellation`).
RESULT_KEY = "cancellation"
# Steps cleanup records itself (every workflow's cleanup step is named so): not marked CANCELLED.
CLEANUP_STEP = names.CLEANUP_STEP


class AbortedExecution(Model):
    """The aborted execution as the status change event describes it (dates in epoch milliseconds)."""

    arn: str
    name: str
    input: str | None = None  # the execution input as JSON text; null when too large for the event
    start_date: float
    stop_date: float
    cause: str | None = None  # StopExecution's cause: who cancelled, when the API stopped it

    def start_time(self) -> str:
        """`$$.Execution.StartTime` of the aborted execution, which the run's names are dated by."""
        moment = datetime.fromtimestamp(self.start_date / 1000, UTC)
        return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"

    def stopped_at(self) -> datetime:
        return datetime.fromtimestamp(self.stop_date / 1000, UTC)

    def request(self) -> Any:
        """The aborted run's request, or None when the event did not carry it."""
        if not self.input:
            return None
        try:
            document = json.loads(self.input)
        except ValueError:
            return None
        # A cleanup execution that was itself stopped hands on the run it was cleaning up after.
        if isinstance(document, dict) and isinstance(document.get(ABORTED_KEY), dict):
            return AbortedExecution.model_validate(document[ABORTED_KEY]).request()
        return document

    def run_execution(self) -> AbortedExecution:
        """The run's own execution: that of the run a stopped cleanup execution cleaned up after."""
        try:
            document = json.loads(self.input or "null")
        except ValueError:
            return self
        if isinstance(document, dict) and isinstance(document.get(ABORTED_KEY), dict):
            inner = AbortedExecution.model_validate(document[ABORTED_KEY]).run_execution()
            return inner.model_copy(update={"stop_date": self.stop_date, "cause": inner.cause})
        return self


def aborted_document(execution: dict[str, Any]) -> dict[str, Any]:
    """The cleanup execution's input for an execution as DescribeExecution answers it: the same
    document the stage's rule makes of the status change event."""
    return {
        ABORTED_KEY: AbortedExecution(
            arn=str(execution["executionArn"]),
            name=str(execution["name"]),
            input=execution.get("input"),
            start_date=_epoch_ms(execution["startDate"]),
            stop_date=_epoch_ms(execution.get("stopDate") or execution["startDate"]),
            cause=execution.get("cause"),
        ).model_dump(mode="json")
    }


def _epoch_ms(moment: Any) -> float:
    if isinstance(moment, datetime):
        return moment.timestamp() * 1000
    return float(moment)


class PlanCancellationEvent(Model):
    """The Payload of PlanCancellation: which workflow's cleanup to plan, for which aborted run."""

    workflow: str
    aborted: AbortedExecution


class RecordCancelledEvent(Model):
    """The Payload of RecordCancelled: the aborted run, and the cleanup's state (its actions)."""

    aborted: AbortedExecution
    document: dict[str, Any] = Field(default_factory=dict)


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
    context.records.record_result(
        run_id, RESULT_KEY, {"actions": actions, "cleaned_up_at": timeutil.iso(timeutil.now())}
    )
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


def cleanup_failed(context: Context, document: dict[str, Any]) -> tuple[str, str, str]:
    """A cancelled run's cleanup failed (RecordFailure of a cleanup execution): the run ends
    CANCELLED with the cleanup's error; returns (run id, error, cause) for the Fail state."""
    aborted = AbortedExecution.model_validate(document["cancellation"]["aborted"])
    answer = record_cancelled(context, aborted, document)
    caught = document.get("cleanup_error") or {}
    code = str(caught.get("Error") or "Unknown")
    return str(answer["run_id"]), code, f"{CLEANUP_STEP}: {cause_message(caught.get('Cause'))}"
