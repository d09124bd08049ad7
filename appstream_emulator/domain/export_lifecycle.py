"""How an export image task runs once CreateExportImageTask starts it."""

from __future__ import annotations

from .account import Account
from .resources import ExportTask


def begin_export(account: Account, task: ExportTask) -> None:
    """EXPORTING -> COMPLETED with a new AMI, or FAILED / TIMED_OUT as a fault dictates."""
    account.exports[task.task_id] = task
    outcome = account.resource_faults.take("export_task", task.image_name, task.ami_name)

    def finished(when: float) -> None:
        if outcome is None:
            task.state = "COMPLETED"
            task.ami_id = account.random.ami_id()
        else:
            task.state = outcome.state
            code = "EXPORT_TIMED_OUT" if outcome.state == "TIMED_OUT" else "EXPORT_FAILED"
            task.error_details = [{"ErrorCode": code, "ErrorMessage": outcome.reason}]

    account.after("export", finished, None, account.now, subject=task.task_id)
