"""The Lambda tasks and ASL placeholders of the workflows: one list for CDK, the local engine and tests.

Every Lambda-backed Task in `statemachines/*.asl.json` names its function as
`${<placeholder>}`; CDK fills those with function ARNs through
`definition_substitutions`, and the local engine fills them with the ARNs of the
in-process functions it registers. Non-function placeholders (table, bucket,
topic, bus) are listed in `RESOURCE_PLACEHOLDERS`.
"""

from __future__ import annotations

from dataclasses import dataclass

from functions import names


@dataclass(frozen=True)
class LambdaTask:
    name: str  # logical name, used for the function's construct id and local function name
    handler: str  # dotted path "module.function", importable from the project root
    placeholder: str  # the `${...}` name in the ASL whose value is this function's ARN
    timeout_seconds: int = 60
    memory_mb: int = 512


def _task(name: str, module: str, timeout_seconds: int = 60) -> LambdaTask:
    return LambdaTask(name, f"functions.handlers.{module}.handler", f"{name}FunctionArn", timeout_seconds)


LAMBDA_TASKS: tuple[LambdaTask, ...] = (
    _task("ValidateRequest", "validate_request"),
    _task("RecordRun", "record_run"),
    _task("Preflight", "preflight"),
    _task("ImportImage", "import_image"),
    _task("CheckImage", "check_image"),
    _task("AcquireBuilderSlot", "acquire_builder_slot"),
    _task("CreateBuilder", "create_builder"),
    _task("CheckBuilder", "check_builder"),
    _task("StartSnapshot", "start_snapshot"),
    _task("CheckSnapshot", "check_snapshot"),
    _task("ExportImage", "export_image"),
    _task("CheckExport", "check_export"),
    # One cleanup step makes a few AppStream calls; the state machine loops, so it stays short.
    _task("Cleanup", "cleanup", timeout_seconds=120),
    _task("RecordSuccess", "record_success"),
    _task("RecordFailure", "record_failure"),
    # Lifecycle workflows (statemachines/*.asl.json besides the image pipeline): shared run records ...
    _task("LifecycleValidate", "lifecycle_validate"),
    _task("LifecycleRecordRun", "lifecycle_record_run"),
    _task("LifecycleRecordSuccess", "lifecycle_record_success"),
    _task("LifecycleRecordFailure", "lifecycle_record_failure"),
    # ... export backups (export_backup.asl.json); selecting reads every image's tags when filtering by tag
    _task("BackupSelectImages", "backup_select_images", timeout_seconds=300),
    _task("BackupExportImage", "backup_export_image"),
    _task("BackupCheckExport", "backup_check_export"),
    _task("BackupReport", "backup_report"),
    # ... managed updates (managed_update.asl.json)
    _task("UpdateCheckAvailable", "update_check_available"),
    _task("UpdateCreateImage", "update_create_image"),
    _task("UpdateCheckImage", "update_check_image"),
    _task("UpdateCleanup", "update_cleanup"),
    # ... fleet rollout (fleet_rollout.asl.json)
    _task("RolloutInspectFleet", "rollout_inspect_fleet"),
    _task("RolloutApplyFleet", "rollout_apply_fleet"),
    _task("RolloutRollbackFleet", "rollout_rollback_fleet"),
    _task("RolloutReport", "rollout_report"),
    # ... retention (retention.asl.json); planning reads every image's and builder's tags
    _task("RetentionPlan", "retention_plan", timeout_seconds=300),
    _task("RetentionApply", "retention_apply", timeout_seconds=300),
    _task("RetentionReport", "retention_report"),
    # ... every workflow: the cleanup execution of a stopped run (functions.cancellation)
    _task("PlanCancellation", "plan_cancellation"),
    _task("RecordCancelled", "record_cancelled"),
)

# The run API's function. It is no workflow task (no ASL state invokes it), so it stays out of
# LAMBDA_TASKS, which the ASL checks, the stack's task functions and the local engine iterate;
# its placeholder is never substituted. API Gateway gives up on an integration after 29 s: the
# function must end first, so the caller reads the function's own error, not a bare 504.
API_GATEWAY_LIMIT_SECONDS = 29
API_FUNCTION = LambdaTask("RunApi", "functions.handlers.api.handler", "RunApiFunctionArn", timeout_seconds=25)

# The service integrations a Task calls, each named by a placeholder that is the whole `Resource`:
# the ARN's partition differs per region (arn:aws-us-gov:states:::lambda:invoke), and cfn-lint
# checks a Resource unless all of it is substituted. The stack fills in AWS::Partition; the local
# engine runs on moto, whose partition is aws.
INTEGRATION_PLACEHOLDERS: dict[str, str] = {
    "LambdaInvoke": "lambda:invoke",
    "StartExecutionSync": "states:startExecution.sync:2",
}
LAMBDA_INVOKE = "${LambdaInvoke}"
LOCAL_PARTITION = "aws"


def integration_arn(integration: str, partition: str) -> str:
    return f"arn:{partition}:states:::{integration}"


# Placeholder name -> environment variable (see functions.names) whose value it carries.
RESOURCE_PLACEHOLDERS: dict[str, str] = {
    "RunsTableName": names.ENV_RUNS_TABLE,
    "JobsBucketName": names.ENV_JOBS_BUCKET,
    "NotificationTopicArn": names.ENV_NOTIFICATION_TOPIC,
    "EventBusName": names.ENV_EVENT_BUS,
}
