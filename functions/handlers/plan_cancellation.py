"""Task PlanCancellation: a stopped run's cleanup state, planned from the aborted execution."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.cancellation import PlanCancellationEvent
from functions.context import get_context
from functions.observability import logger, metrics, tracer
from functions.services import cancellation
from functions.settings import get_settings


@logger.inject_lambda_context(log_event=False, clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    task = PlanCancellationEvent.model_validate(event)
    logger.append_keys(execution=task.aborted.name, workflow=task.workflow)
    return cancellation.plan(get_context(), task.workflow, task.aborted, get_settings().stage)
