"""Task BackupReport: the backup's result, or ExportFailed naming every image that was not exported."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.lifecycle.backup_events import BackupReportEvent
from functions.observability import logger, metrics, tracer
from functions.services import export_backups


@logger.inject_lambda_context(log_event=False, clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    task = BackupReportEvent.model_validate(event)
    logger.append_keys(run_id=task.plan.run_id, pipeline=task.plan.pipeline)
    return export_backups.report(task.selection, task.exports)
