"""Task Cleanup: one step toward nothing of the run being left behind; the state machine loops until done."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.context import get_context
from functions.observability import logger, metrics, tracer
from functions.services import cleanup
from functions.task_events import CleanupEvent


@logger.inject_lambda_context(log_event=False, clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    task = CleanupEvent.model_validate(event)
    logger.append_keys(run_id=task.plan.run_id, pipeline=task.plan.pipeline)
    return cleanup.cleanup(get_context(), task.plan, task.cleanup).model_dump(mode="json")
