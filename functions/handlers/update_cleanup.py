"""Task UpdateCleanup: one step of cleanup: after a failure, delete the new image once it settles."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.context import get_context
from functions.lifecycle.update_events import UpdateCleanupEvent
from functions.observability import logger, metrics, tracer
from functions.services import managed_updates


@logger.inject_lambda_context(log_event=False, clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    task = UpdateCleanupEvent.model_validate(event)
    logger.append_keys(run_id=task.plan.run_id, pipeline=task.plan.pipeline)
    failed = task.error is not None
    progress = managed_updates.cleanup(get_context(), task.plan, task.update, task.cleanup, failed)
    return progress.model_dump(mode="json")
