"""How an export image task runs once CreateExportImageTask starts it."""

from __future__ import annotations

import hashlib

from .account import Account
from .aws_events import ami_state_change
from .resources import ExportTask


def begin_export(account: Account, task: ExportTask) -> None:
    """EXPORTING -> COMPLETED with a new AMI, or FAILED / TIMED_OUT as a fault dictates.

    Either way EC2 sends the AMI's state change (available, or failed), best effort."""
    account.exports[task.task_id] = task
    outcome = account.resource_faults.take("export_task", task.image_name, task.ami_name)

    def finished(when: float) -> None:
        if outcome is None:
            task.state = "COMPLETED"
            task.ami_id = account.random.ami_id()
            if account.amis is not None:
                task.ami_id = account.amis.register(
                    account.region, task.ami_name, task.ami_description, task.tags
                )
            account.send(ami_state_change(account.region, task.ami_id, "available", when))
        else:
            task.state = outcome.state
            code = "EXPORT_TIMED_OUT" if outcome.state == "TIMED_OUT" else "EXPORT_FAILED"
            task.error_details = [{"ErrorCode": code, "ErrorMessage": outcome.reason}]
            # No source says whether a failed export leaves a failed AMI: assume it does, with an id
            # of its own (derived, not drawn, so the scenario's other draws stay as they were).
            failed_ami = "ami-" + hashlib.sha256(task.task_id.encode()).hexdigest()[:17]
            account.send(ami_state_change(account.region, failed_ami, "failed", when, outcome.reason))

    account.after("export", finished, None, account.now, subject=task.task_id)
