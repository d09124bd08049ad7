"""Task BackupExportImage: CreateExportImageTask for one selected image (adopted on a retry)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.context import get_context
from functions.lifecycle.backup_events import BackupImageEvent
from functions.observability import logger, metrics, tracer
from functions.services import export_backups


@logger.inject_lambda_context(log_event=False, clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    task = BackupImageEvent.model_validate(event)
    logger.append_keys(run_id=task.plan.run_id, pipeline=task.plan.pipeline, image=task.image.image_name)
    return export_backups.start_export(get_context(), task.plan, task.image).model_dump(mode="json")
