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
)

# Placeholder name -> environment variable (see functions.names) whose value it carries.
RESOURCE_PLACEHOLDERS: dict[str, str] = {
    "RunsTableName": names.ENV_RUNS_TABLE,
    "JobsBucketName": names.ENV_JOBS_BUCKET,
    "NotificationTopicArn": names.ENV_NOTIFICATION_TOPIC,
    "EventBusName": names.ENV_EVENT_BUS,
}
