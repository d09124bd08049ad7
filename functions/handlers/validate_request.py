"""Task ValidateRequest: the request becomes the run's plan, or the run fails naming every bad field."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.observability import logger, metrics, tracer
from functions.services import runs
from functions.settings import get_settings
from functions.task_events import ValidateEvent


@logger.inject_lambda_context(log_event=False, clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    task = ValidateEvent.model_validate(event)
    logger.append_keys(execution=task.execution.name)
    return runs.validate(task.request, task.execution, get_settings().stage)
