"""Task LifecycleRecordFailure: the run record FAILED; returns the Fail state's Error/Cause."""

from __future__ import annotations

import importlib
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.context import get_context
from functions.lifecycle import runs
from functions.observability import logger, metrics, tracer
from functions.task_events import FailureEvent

# Every invocation of this task records a failure: load what that needs with the task
# (`runs.record_failure` imports it lazily for the lifecycle tasks that never fail a run).
importlib.import_module("functions.services.runs")


@logger.inject_lambda_context(log_event=False, clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    task = FailureEvent.model_validate(event)
    failure = runs.record_failure(get_context(), task.document, task.execution)
    logger.append_keys(run_id=failure.run_id)
    logger.info("run failed", extra={"step": failure.step, "error_code": failure.error})
    metrics.add_metric(name="RunFailed", unit=MetricUnit.Count, value=1)
    return failure.model_dump()
