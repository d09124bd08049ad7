"""The Task states of a stopped run's cleanup execution, in every workflow: PlanCancellation plans
the cleanup of the aborted run, RecordCancelled closes its record CANCELLED.

The cleanup execution is an execution of the run's own state machine, started by the stage's
rule on the aborted execution's status change event (functions.core.cancellation). `plan`
gives the state the workflow's cleanup path expects, planned from the aborted execution (its
names, tags and request), with the error that makes cleanup undo what the run made and the
moment the cleanup may begin.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from functions.core import cancellation
from functions.core.cancellation import (
    CANCELLED_ERROR,
    STOPPED_OUTSIDE,
    AbortedExecution,
    PlanCancellationEvent,
    RecordCancelledEvent,
)
from functions.core.context import Context, get_context
from functions.core.execution import Execution, run_id_for
from functions.core.observability import logger, metrics
from functions.core.settings import get_settings
from functions.core.task import is_lambda_handler, task
from functions.workflows import DEFAULT_WORKFLOW, LAMBDA_TASKS

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


@task(PlanCancellationEvent, keys={"execution": "aborted.name", "workflow": "workflow"})
def plan_cancellation(event: PlanCancellationEvent) -> dict[str, Any]:
    return plan(get_context(), event.workflow, event.aborted, get_settings().stage)


# PlanCancellation plans with the aborted run's own validation, the image pipeline's or the lifecycle
# workflows': its function loads both at init. RecordCancelled never validates: its cold start skips
# the pipeline's request, plan and phases (elsewhere `plan` imports them on first use).
if is_lambda_handler(plan_cancellation):
    from functions.workflows import lifecycle  # noqa: F401
    from functions.workflows.image_pipeline import pipeline_run  # noqa: F401


@task(RecordCancelledEvent, keys={"execution": "aborted.name"})
def record_cancelled(event: RecordCancelledEvent) -> dict[str, Any]:
    answer = cancellation.record_cancelled(get_context(), event.aborted, event.document)
    logger.info("run cancelled", extra={"run_id": answer["run_id"], "status": answer["status"]})
    metrics.add_metric(name="RunCancelled", unit=MetricUnit.Count, value=1)
    return answer


def plan(context: Context, workflow: str, aborted: AbortedExecution, stage: str) -> dict[str, Any]:
    """The state the workflow's cleanup loop starts from, as the aborted run planned it."""
    run = aborted.run_execution()
    execution = Execution(id=run.arn, name=run.name, start_time=run.start_time())
    request = run.request()
    if request is None:  # the event could not carry the input: the run record keeps the request
        recorded = context.records.get_run(run_id_for(run.name))
        request = recorded.get("request") if recorded else None
    if workflow == DEFAULT_WORKFLOW:
        from functions.workflows.image_pipeline import pipeline_run

        document = pipeline_run.validate(request, execution, stage)
    else:
        from functions.workflows import lifecycle

        document = lifecycle.validate(workflow, request, execution, stage)
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


def settle_seconds(workflow: str) -> float:
    """The longest the tasks of `workflow` that create something, started before the stop, can still run."""
    tasks = _SETTLE_TASKS.get(workflow, ())
    return float(max((task.timeout_seconds for task in LAMBDA_TASKS if task.name in tasks), default=0))
