"""Retention: plan what to keep and delete -> (unless a dry run) delete -> report.

Keeps each pipeline's newest images and exported AMIs, deletes older ones no fleet or builder
uses, and reaps image builders of runs no longer active. A dry run (the default) only reports.
"""

from __future__ import annotations

from statemachines.dsl import (
    JSON,
    PROGRESS,
    choice,
    inputs,
    is_true,
    machine,
    outputs,
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
    "AppStream Image Factory retention: keep each pipeline's newest images and exported AMIs, delete"
    " older ones no fleet or builder uses, reap image builders of runs no longer active. A dry run (the"
    " default) only reports."
)
RETENTION = outputs(*PROGRESS, "dry_run", "decisions")


def definition() -> JSON:
    return machine(
        COMMENT,
        [
            *cancellation("retention", first="ValidateRequest"),
            validate_lifecycle_request(
                "retention",
                "Validate the retention request (every bad field named) into the run's plan.",
                result=outputs("plan", "error", "cleanup_error"),
            ),
            record_run("LifecycleRecordRunFunctionArn", on_error="RecordFailure", next="PlanRetention"),
            task(
                "PlanRetention",
                "RetentionPlanFunctionArn",
                "Decide, for every image, exported AMI and run-tagged image builder, whether it is kept and"
                " why (newest N, in use, in progress, run active, too young).",
                payload=inputs("plan"),
                result=RETENTION,
                result_path="$.retention",
                on_error="RecordFailure",
                next="DryRun?",
            ),
            choice(
                "DryRun?",
                "A dry run (the default) only reports what would be deleted.",
                [is_true("$.retention.dry_run", "Report")],
                default="ApplyRetention",
            ),
            task(
                "ApplyRetention",
                "RetentionApplyFunctionArn",
                "One pass of deletions: DeleteImage (ResourceInUseException: kept, in use), DeregisterImage"
                " and DeleteSnapshot, StopImageBuilder then DeleteImageBuilder.",
                payload=inputs("plan", "retention"),
                result=RETENTION,
                result_path="$.retention",
                on_error="RecordFailure",
                next="RetentionApplied?",
            ),
            until_done(
                "RetentionApplied?",
                "retention",
                "Is every chosen resource deleted, kept or failed?",
                then="Report",
                otherwise="WaitForRetention",
            ),
            wait(
                "WaitForRetention",
                "retention",
                "Builders are stopping or deleting: look again later.",
                next="ApplyRetention",
            ),
            task(
                "Report",
                "RetentionReportFunctionArn",
                "The run's result: every resource kept or deleted and why; fails naming the resources that"
                " could not be deleted.",
                payload=inputs("plan", "retention"),
                result=outputs("dry_run", "images", "amis", "builders", "summary"),
                result_path="$.result",
                on_error="RecordFailure",
                next="RecordSuccess",
            ),
            record_success(
                "LifecycleRecordSuccessFunctionArn",
                inputs("result"),
                "Record the run as SUCCEEDED; the report is the execution's output.",
            ),
            succeed("Succeeded", "Output: the retention report (dry run or what was deleted)."),
            *record_failure(
                "LifecycleRecordFailureFunctionArn",
                "Record the run as FAILED with the step, error code and reason.",
            ),
        ],
    )
