"""Managed updates: CreateUpdatedImage dry run -> CreateUpdatedImage -> wait -> cleanup -> export.

After RecordRun every task catches into Cleanup, which deletes the image a failed run made;
a successful update may hand the new image to an export-backup run of its own.
"""

from __future__ import annotations

from statemachines.dsl import (
    JSON,
    PROGRESS,
    choice,
    inputs,
    is_false,
    is_present,
    is_set,
    is_true,
    machine,
    outputs,
    pass_result,
    start_workflow,
    succeed,
    task,
    until_done,
    wait,
)
from statemachines.runs import (
    cancellation,
    record_failure,
    record_run,
    record_success,
    validate_lifecycle_request,
)

COMMENT = (
    "AppStream Image Factory managed update: CreateUpdatedImage dry run (no update available -> done)"
    " -> CreateUpdatedImage (waits for a free update when AppStream's limit is reached) -> wait for the"
    " new image -> cleanup (a failed run deletes the image it made) -> optionally an export-backup run"
    " of the new image."
)
UPDATE = outputs(*PROGRESS, "image_name", "image_arn", "state", "export_request")


def definition() -> JSON:
    return machine(
        COMMENT,
        [
            *cancellation("managed-update", first="ValidateRequest", cleanup="Cleanup"),
            validate_lifecycle_request(
                "managed-update",
                "Validate the managed-update request (every bad field named) and plan the run.",
            ),
            record_run("LifecycleRecordRunFunctionArn", on_error="Cleanup", next="CheckUpdateAvailable"),
            task(
                "CheckUpdateAvailable",
                "UpdateCheckAvailableFunctionArn",
                "CreateUpdatedImage with dryRun: does AppStream have an update for the image?",
                payload=inputs("plan"),
                result=outputs("available", "image_name", "image_arn", "reason"),
                result_path="$.check",
                on_error="Cleanup",
                next="UpdateAvailable?",
            ),
            choice(
                "UpdateAvailable?",
                "No update available: nothing to do.",
                [is_true("$.check.available", "CreateUpdatedImage")],
                default="RecordSuccess",
            ),
            task(
                "CreateUpdatedImage",
                "UpdateCreateImageFunctionArn",
                "CreateUpdatedImage (adopting this run's image on a retry; AppStream's concurrent update"
                " limit is retried with a long backoff).",
                payload=inputs("plan"),
                result=UPDATE,
                result_path="$.update",
                quota=True,
                on_error="Cleanup",
                next="WaitForImage",
            ),
            wait(
                "WaitForImage", "update", "Sleep as long as the last check planned.", next="CheckUpdatedImage"
            ),
            task(
                "CheckUpdatedImage",
                "UpdateCheckImageFunctionArn",
                "New image PENDING -> wait; AVAILABLE -> done; FAILED or past the ceiling -> error.",
                payload=inputs("plan", "update"),
                result=UPDATE,
                result_path="$.update",
                on_error="Cleanup",
                next="ImageAvailable?",
            ),
            until_done(
                "ImageAvailable?",
                "update",
                "Is the new image AVAILABLE?",
                then="Cleanup",
                otherwise="WaitForImage",
            ),
            task(
                "Cleanup",
                "UpdateCleanupFunctionArn",
                "One step of cleanup: after a failure, delete the image this run made once it settles."
                " Safe when nothing was made.",
                payload=inputs("plan", "update", "cleanup", "error"),
                result=outputs(*PROGRESS, "image_state", "actions"),
                result_path="$.cleanup",
                on_error="RecordFailure",
                error_path="$.cleanup_error",
                next="CleanupDone?",
            ),
            choice(
                "CleanupDone?",
                "Loop until cleanup is done; then fail, chain the export, or succeed.",
                [
                    is_false("$.cleanup.done", "WaitForCleanup"),
                    is_present("$.cancellation", "RecordCancelled"),
                    is_set("$.error", "RecordFailure"),
                    is_true("$.flow.export", "ExportNewImage"),
                ],
                default="RecordSuccess",
            ),
            wait(
                "WaitForCleanup",
                "cleanup",
                "The new image is still PENDING: look again later.",
                next="Cleanup",
            ),
            start_workflow(
                "ExportNewImage",
                "Export the new image with an export-backup run of its own, and wait for it.",
                state_machine="ExportBackupStateMachineArn",
                execution_name="States.Format('{}-export', $.plan.run_id)",
                input_path="$.update.export_request",
                result={"execution_arn.$": "$.ExecutionArn", "status.$": "$.Status", "output.$": "$.Output"},
                result_path="$.export",
                on_error="ChainedExportFailed",
                next="RecordSuccess",
            ),
            pass_result(
                "ChainedExportFailed",
                "The failure belongs to the export step (the new image stays: it is AVAILABLE and good).",
                "export",
                result_path="$.failed_step",
                next="RecordFailure",
            ),
            record_success(
                "LifecycleRecordSuccessFunctionArn", {"result": inputs("check", "update", "export")}
            ),
            succeed("Succeeded"),
            *record_failure("LifecycleRecordFailureFunctionArn"),
        ],
    )
