"""The Lambda tasks and ASL placeholders of the workflows: one list for CDK, the local engine and tests.

Every Lambda-backed Task in `statemachines/*.asl.json` names its function as
`${<placeholder>}`; CDK fills those with function ARNs through
`definition_substitutions`, and the local engine fills them with the ARNs of the
in-process functions it registers. Non-function placeholders (table, bucket,
topic, bus) are listed in `RESOURCE_PLACEHOLDERS`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LambdaTask:
    name: str  # logical name, used for the function's construct id and local function name
    handler: str  # dotted path "module.function", importable from the project root
    placeholder: str  # the `${...}` name in the ASL whose value is this function's ARN
    timeout_seconds: int = 60
    memory_mb: int = 512


LAMBDA_TASKS: tuple[LambdaTask, ...] = (
    LambdaTask("ValidateRequest", "functions.handlers.validate_request.handler", "ValidateRequestFunctionArn"),
    LambdaTask("RecordRun", "functions.handlers.record_run.handler", "RecordRunFunctionArn"),
    LambdaTask("ImportImage", "functions.handlers.import_image.handler", "ImportImageFunctionArn"),
    LambdaTask("CheckImage", "functions.handlers.check_image.handler", "CheckImageFunctionArn"),
    LambdaTask("BuilderSlot", "functions.handlers.builder_slot.handler", "BuilderSlotFunctionArn"),
    LambdaTask("CreateBuilder", "functions.handlers.create_builder.handler", "CreateBuilderFunctionArn"),
    LambdaTask("CheckBuilder", "functions.handlers.check_builder.handler", "CheckBuilderFunctionArn"),
    LambdaTask("StartSnapshot", "functions.handlers.start_snapshot.handler", "StartSnapshotFunctionArn"),
    LambdaTask("CheckSnapshot", "functions.handlers.check_snapshot.handler", "CheckSnapshotFunctionArn"),
    LambdaTask("ExportImage", "functions.handlers.export_image.handler", "ExportImageFunctionArn"),
    LambdaTask("CheckExport", "functions.handlers.check_export.handler", "CheckExportFunctionArn"),
    LambdaTask("Cleanup", "functions.handlers.cleanup.handler", "CleanupFunctionArn", timeout_seconds=300),
)

# Placeholder name -> environment variable (see functions.names) whose value it carries.
RESOURCE_PLACEHOLDERS: dict[str, str] = {
    "RunsTableName": "RUNS_TABLE_NAME",
    "JobsBucketName": "JOBS_BUCKET_NAME",
    "NotificationTopicArn": "NOTIFICATION_TOPIC_ARN",
    "EventBusName": "EVENT_BUS_NAME",
}
