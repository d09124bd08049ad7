"""Export backups: select images -> export each to an EC2 AMI, a bounded number at once -> report.

A failed export fails its image only (ImageNotExported); the report then fails the run.
"""

from __future__ import annotations

from statemachines.dsl import (
    JSON,
    PROGRESS,
    State,
    for_each,
    inputs,
    machine,
    outputs,
    pass_parameters,
    succeed,
    task,
    until_done,
    wait,
    wait_for_signal,
)
from statemachines.runs import (
    cancellation,
    record_failure,
    record_run,
    record_success,
    validate_lifecycle_request,
)

COMMENT = (
    "AppStream Image Factory export backup: select images (skipping those exported unchanged) -> export"
    " each to an EC2 AMI, a bounded number at once -> report. A failed export fails its image only;"
    " the run then fails naming every image not exported."
)
EXPORT = outputs(*PROGRESS, "image", "task_id", "ami_id", "state")


def export_one_image() -> list[State]:
    """The states run for each selected image."""
    return [
        task(
            "ExportImage",
            "BackupExportImageFunctionArn",
            "CreateExportImageTask for this image (adopting this run's task on a retry).",
            payload=inputs("plan", "image"),
            result=EXPORT,
            result_path="$.export",
            quota=True,
            on_error="ImageNotExported",
            next="WaitForExport",
        ),
        wait_for_signal(
            "WaitForExport",
            "BackupWaitForExportFunctionArn",
            "export",
            "Wait for EC2's AMI state change (best effort), at most as long as the last task planned.",
            payload=inputs("plan", "export"),
            fallback="SleepForExport",
            next="CheckExport",
        ),
        wait(
            "SleepForExport",
            "export",
            "The wait could not leave its token: sleep as long as the last task planned.",
            next="CheckExport",
        ),
        task(
            "CheckExport",
            "BackupCheckExportFunctionArn",
            "EXPORTING -> wait; COMPLETED -> recorded as this image's backup; FAILED/TIMED_OUT or past"
            " the ceiling -> error.",
            payload=inputs("plan", "export"),
            result=EXPORT,
            result_path="$.export",
            on_error="ImageNotExported",
            next="Exported?",
        ),
        until_done(
            "Exported?", "export", "Is the AMI exported?", then="ImageExported", otherwise="WaitForExport"
        ),
        pass_parameters(
            "ImageExported",
            "This image's result.",
            {
                "image_name.$": "$.export.image.image_name",
                "ami_name.$": "$.export.image.ami_name",
                "ami_id.$": "$.export.ami_id",
                "status": "EXPORTED",
            },
        ),
        pass_parameters(
            "ImageNotExported",
            "A failed export fails its image only; the report fails the run.",
            {
                "image_name.$": "$.image.image_name",
                "ami_name.$": "$.image.ami_name",
                "status": "FAILED",
                "error.$": "$.error",
            },
        ),
    ]


def definition() -> JSON:
    return machine(
        COMMENT,
        [
            *cancellation("export-backup", first="ValidateRequest"),
            validate_lifecycle_request(
                "export-backup",
                "Validate the export-backup request (every bad field named) and plan the run.",
            ),
            record_run("LifecycleRecordRunFunctionArn", on_error="RecordFailure", next="SelectImages"),
            task(
                "SelectImages",
                "BackupSelectImagesFunctionArn",
                "The AVAILABLE images to export, and those skipped (not AVAILABLE, or unchanged since"
                " their last export).",
                payload=inputs("plan"),
                result=outputs("items", "skipped", "max_concurrency"),
                result_path="$.selection",
                on_error="RecordFailure",
                next="ExportImages",
            ),
            for_each(
                "ExportImages",
                "One export per selected image, at most max_concurrency at once.",
                items_path="$.selection.items",
                max_concurrency_path="$.selection.max_concurrency",
                item={"plan.$": "$.plan", "image.$": "$$.Map.Item.Value"},
                states=export_one_image(),
                result_path="$.exports",
                on_error="RecordFailure",
                next="Report",
            ),
            task(
                "Report",
                "BackupReportFunctionArn",
                "The run's result; ExportFailed naming every image not exported.",
                payload=inputs("plan", "selection", "exports"),
                result=outputs("exported", "skipped"),
                result_path="$.result",
                on_error="RecordFailure",
                next="RecordSuccess",
            ),
            record_success(
                "LifecycleRecordSuccessFunctionArn",
                {"result": {"exported.$": "$.result.exported", "skipped.$": "$.result.skipped"}},
            ),
            succeed("Succeeded"),
            *record_failure("LifecycleRecordFailureFunctionArn"),
        ],
    )
