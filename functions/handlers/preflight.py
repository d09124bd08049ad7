"""Task Preflight: before anything is created, the names are free, the AMI importable, the roles allowed."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.context import get_context
from functions.observability import logger, metrics, tracer
from functions.services import preflight
from functions.task_events import PlanEvent


@logger.inject_lambda_context(log_event=False, clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> None:
    task = PlanEvent.model_validate(event)
    logger.append_keys(run_id=task.plan.run_id, pipeline=task.plan.pipeline)
    preflight.preflight(get_context(), task.plan)
