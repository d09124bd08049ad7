"""Task CheckImage: is the source image AVAILABLE yet (imported, or existing)?"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.context import get_context
from functions.observability import logger, metrics, tracer
from functions.services import imports
from functions.task_events import SourceEvent


@logger.inject_lambda_context(log_event=False, clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    task = SourceEvent.model_validate(event)
    logger.append_keys(run_id=task.plan.run_id, pipeline=task.plan.pipeline)
    return imports.check_source(get_context(), task.plan, task.source).model_dump(mode="json")
