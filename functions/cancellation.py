"""A stopped run's own cleanup: the aborted execution it is started with, and how long to settle.

StopExecution ends an execution without running its Catch. Step Functions then sends
"Step Functions Execution Status Change" with status ABORTED to the account's default
event bus; the stage's rule for that state machine (stacks/cancel_rules.py) starts the
same state machine again with the aborted execution as its input (`aborted_document`).
The definition's first state sends such an input to the workflow's own cleanup path, and
its end records the run CANCELLED (functions.services.cancellation).

A task in flight when the execution stopped may still finish afterwards (a builder or an
image created a moment later): the cleanup begins once the longest of those tasks could
have ended (`settle_seconds`), so the pass that finds nothing left began after it.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, Field

from functions.catalog import LAMBDA_TASKS

# The key of the cleanup execution's input that carries the aborted execution.
ABORTED_KEY = "aborted_execution"
# The error a cancelled run's cleanup state carries, so cleanups that undo only after a
# failure (a managed update's new image) undo it.
CANCELLED_ERROR = "RunCancelled"
# Recorded as who cancelled when the stop gives no cause (a stop in the console).
STOPPED_OUTSIDE = "a stop outside the API"

# The tasks of each workflow that create something a cleanup must find, and cleanup itself: a
# cancelled run's cleanup waits until the longest of them, started before the stop, has ended.
_SETTLE_TASKS: dict[str, tuple[str, ...]] = {
    "image-pipeline": (
        "ImportImage",
        "AcquireBuilderSlot",
        "CreateBuilder",
        "StartSnapshot",
        "ExportImage",
        "Cleanup",
    ),
    "managed-update": ("UpdateCreateImage", "UpdateCleanup"),
}


class AbortedExecution(BaseModel):
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


def settle_seconds(workflow: str) -> float:
    """The longest the tasks of `workflow` that create something, started before the stop, can still run."""
    tasks = _SETTLE_TASKS.get(workflow, ())
    return float(max((task.timeout_seconds for task in LAMBDA_TASKS if task.name in tasks), default=0))


def _epoch_ms(moment: Any) -> float:
    if isinstance(moment, datetime):
        return moment.timestamp() * 1000
    return float(moment)


class PlanCancellationEvent(BaseModel):
    """The Payload of PlanCancellation: which workflow's cleanup to plan, for which aborted run."""

    workflow: str
    aborted: AbortedExecution


class RecordCancelledEvent(BaseModel):
    """The Payload of RecordCancelled: the aborted run, and the cleanup's state (its actions)."""

    aborted: AbortedExecution
    document: dict[str, Any] = Field(default_factory=dict)
