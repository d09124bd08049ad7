"""Task BackupCheckExport: has one image's export COMPLETED? (then it is recorded as that image's backup)"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.context import get_context
from functions.lifecycle.backup_events import BackupExportEvent
from functions.observability import logger, metrics, tracer
from functions.services import export_backups


@logger.inject_lambda_context(log_event=False, clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    task = BackupExportEvent.model_validate(event)
    logger.append_keys(
        run_id=task.plan.run_id, pipeline=task.plan.pipeline, image=task.export.image.image_name
    )
    return export_backups.check_export(get_context(), task.plan, task.export).model_dump(mode="json")
