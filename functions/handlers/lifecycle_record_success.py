"""Task LifecycleRecordSuccess: the run record SUCCEEDED; returns the execution's output."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.context import get_context
from functions.lifecycle import runs
from functions.lifecycle.events import LifecycleSuccessEvent
from functions.observability import logger, metrics, tracer


@logger.inject_lambda_context(log_event=False, clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    task = LifecycleSuccessEvent.model_validate(event)
    logger.append_keys(run_id=task.plan.run_id, pipeline=task.plan.pipeline, workflow=task.plan.workflow)
    metrics.add_metric(name="RunSucceeded", unit=MetricUnit.Count, value=1)
    return runs.record_success(get_context(), task.plan, task.result)
