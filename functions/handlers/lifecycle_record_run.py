"""Task LifecycleRecordRun: the run record (RUNNING) of a lifecycle run and its first state change event."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.context import get_context
from functions.lifecycle import runs
from functions.lifecycle.events import LifecyclePlanEvent
from functions.observability import logger, metrics, tracer


@logger.inject_lambda_context(log_event=False, clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> None:
    task = LifecyclePlanEvent.model_validate(event)
    logger.append_keys(run_id=task.plan.run_id, pipeline=task.plan.pipeline, workflow=task.plan.workflow)
    runs.record_start(get_context(), task.plan)
    return None
