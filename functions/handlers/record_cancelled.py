"""Task RecordCancelled: the stopped run's record ends CANCELLED, with what its cleanup did."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.cancellation import RecordCancelledEvent
from functions.context import get_context
from functions.observability import logger, metrics, tracer
from functions.services import cancellation


@logger.inject_lambda_context(log_event=False, clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    task = RecordCancelledEvent.model_validate(event)
    answer = cancellation.record_cancelled(get_context(), task.aborted, task.document)
    logger.append_keys(run_id=answer["run_id"])
    logger.info("run cancelled", extra={"status": answer["status"]})
    metrics.add_metric(name="RunCancelled", unit=MetricUnit.Count, value=1)
    return answer
