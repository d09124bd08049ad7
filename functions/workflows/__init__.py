"""The workflows this product deploys and runs, and their Lambda tasks: one list for the CLI, CDK,
the local engine and the tests.

Each workflow is one folder, `functions.workflows.<workflow>` (its name with `_` for `-`),
beside its definition `statemachines/<workflow>.asl.json`: its request model (`request.py`,
offering `parse_request(raw)`, the model or one `FieldError` per bad field, and
`request_json_schema()`), the events its states send (`events.py`), one function per Task
state named after the state (`tasks.py`) and its services. The Task states every lifecycle
workflow shares are in `functions.workflows.lifecycle`. Adding a workflow is its folder, its
ASL file, one entry in `WORKFLOWS` and its tasks in `LAMBDA_TASKS`. Workflows are named here
by dotted paths and imported on first use, so a task loads its own workflow's models only.

Every Lambda-backed Task in `statemachines/*.asl.json` names its function as
`${<placeholder>}`; CDK fills those with function ARNs through `definition_substitutions`, and
the local engine fills them with the ARNs of the in-process functions it registers.
Non-function placeholders (table, bucket, topic, bus) are listed in `RESOURCE_PLACEHOLDERS`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from functions.core import names

STATEMACHINES = Path(__file__).resolve().parents[2] / "statemachines"
DEFAULT_WORKFLOW = "image-pipeline"


class UnknownWorkflow(KeyError):
    """No workflow of that name; the message lists the known ones."""

    def __str__(self) -> str:
        return str(self.args[0])


@dataclass(frozen=True)
class Workflow:
    name: str  # as people type it: `image-factory run --workflow NAME`
    asl: str  # file name under statemachines/
    parser: str  # dotted path of `parse_request(raw) -> model | list[FieldError]`
    schema: str  # dotted path of `request_json_schema() -> dict`
    description: str

    @property
    def definition(self) -> Path:
        return STATEMACHINES / self.asl

    @property
    def placeholder(self) -> str:
        """The ASL placeholder carrying this workflow's state machine ARN (a workflow starting another)."""
        return "".join(part.capitalize() for part in self.name.split("-")) + "StateMachineArn"

    def parse(self, raw: Any) -> Any:
        return _function(self.parser)(raw)

    def json_schema(self) -> dict[str, Any]:
        return dict(_function(self.schema)())


def _function(dotted: str) -> Callable[..., Any]:
    module, _, attribute = dotted.rpartition(".")
    function: Callable[..., Any] = getattr(importlib.import_module(module), attribute)
    return function


def _workflow(name: str, description: str) -> Workflow:
    package = name.replace("-", "_")
    module = f"functions.workflows.{package}.request"
    return Workflow(
        name, f"{package}.asl.json", f"{module}.parse_request", f"{module}.request_json_schema", description
    )


WORKFLOWS: dict[str, Workflow] = {
    workflow.name: workflow
    for workflow in (
        _workflow(
            "image-pipeline",
            "AMI or image -> image builder -> snapshot -> optional AMI export",
        ),
        _workflow(
            "export-backup",
            "export one image, or every image matching a name/tag filter, to EC2 AMIs",
        ),
        _workflow(
            "managed-update",
            "CreateUpdatedImage after a dry-run check; optionally export the new image",
        ),
        _workflow(
            "fleet-rollout",
            "point fleets at a new image; stop a fleet only in its maintenance window; roll back on failure",
        ),
        _workflow(
            "retention",
            "keep the newest images and exported AMIs per pipeline; reap forgotten builders (dry run first)",
        ),
    )
}


def get_workflow(name: str) -> Workflow:
    try:
        return WORKFLOWS[name]
    except KeyError:
        raise UnknownWorkflow(f"unknown workflow {name!r}; known: {', '.join(sorted(WORKFLOWS))}") from None


def workflow_hint(document: Any, chosen: str) -> str | None:
    """ "this looks like a NAME request: add --workflow NAME" when `likely_workflow` finds one."""
    likely = likely_workflow(document, chosen)
    if likely is None:
        return None
    article = "an" if likely[0] in "aeiou" else "a"
    return f"this looks like {article} {likely} request: add --workflow {likely}"


def likely_workflow(document: Any, chosen: str) -> str | None:
    """Another workflow whose request `document` fits better than `chosen`'s, by its top-level
    keys; None when `chosen` fits as well as any (its own field errors then say what is wrong)."""
    if not isinstance(document, dict) or not document:
        return None
    keys = set(document)

    def misfit(name: str) -> tuple[int, int]:
        schema = WORKFLOWS[name].json_schema()
        known = set(schema.get("properties", {}))
        return len(keys - known), len(set(schema.get("required", ())) - keys)

    fits = {name: misfit(name) for name in WORKFLOWS}
    best = min(fits, key=lambda name: fits[name])
    tied = [name for name, fit in fits.items() if fit == fits[best]]
    if len(tied) > 1 or best == chosen or fits[best] >= fits[chosen] or fits[best][0] > 0:
        return None  # a guess between two workflows would mislead
    return best


@dataclass(frozen=True)
class LambdaTask:
    name: str  # logical name, used for the function's construct id and local function name
    handler: str  # dotted path "module.function", importable from the project root
    placeholder: str  # the `${...}` name in the ASL whose value is this function's ARN
    timeout_seconds: int = 60
    memory_mb: int = 512


# The modules of states several workflows share (beside the five workflows' `tasks`).
_SHARED = ("lifecycle", "cancellation")


def _task(name: str, handler: str, timeout_seconds: int = 60) -> LambdaTask:
    """Task `name` (its Lambda's name, kept from the deployed template), handled by `handler`: a
    function named after the Task state, in its workflow's `tasks` module (`workflow.state`)."""
    workflow, _, function = handler.rpartition(".")
    module = workflow if workflow in _SHARED else f"{workflow}.tasks"
    return LambdaTask(name, f"functions.workflows.{module}.{function}", f"{name}FunctionArn", timeout_seconds)


LAMBDA_TASKS: tuple[LambdaTask, ...] = (
    _task("ValidateRequest", "image_pipeline.validate_request"),
    _task("RecordRun", "image_pipeline.record_run"),
    _task("Preflight", "image_pipeline.preflight"),
    _task("ImportImage", "image_pipeline.import_image"),
    _task("CheckImage", "image_pipeline.check_image"),
    _task("AcquireBuilderSlot", "image_pipeline.acquire_builder_slot"),
    _task("CreateBuilder", "image_pipeline.create_builder"),
    _task("CheckBuilder", "image_pipeline.check_builder"),
    _task("StartSnapshot", "image_pipeline.start_snapshot"),
    _task("WaitForSnapshot", "image_pipeline.wait_for_snapshot"),
    _task("CheckSnapshot", "image_pipeline.check_snapshot"),
    _task("CopyImage", "image_pipeline.copy_image"),
    _task("CheckCopies", "image_pipeline.check_copies"),
    _task("ShareImage", "image_pipeline.share_image"),
    _task("ExportImage", "image_pipeline.export_image"),
    _task("WaitForExport", "image_pipeline.wait_for_export"),
    _task("CheckExport", "image_pipeline.check_export"),
    _task("CopyAmi", "image_pipeline.copy_ami"),
    _task("CheckAmiCopies", "image_pipeline.check_ami_copies"),
    _task("ShareAmi", "image_pipeline.share_ami"),
    # One cleanup step makes a few AppStream calls; the state machine loops, so it stays short.
    _task("Cleanup", "image_pipeline.cleanup", timeout_seconds=120),
    _task("RecordSuccess", "image_pipeline.record_success"),
    _task("RecordFailure", "image_pipeline.record_failure"),
    # Lifecycle workflows (statemachines/*.asl.json besides the image pipeline): the states they share ...
    _task("LifecycleValidate", "lifecycle.validate_request"),
    _task("LifecycleRecordRun", "lifecycle.record_run"),
    _task("LifecycleRecordSuccess", "lifecycle.record_success"),
    _task("LifecycleRecordFailure", "lifecycle.record_failure"),
    # ... export backups (export_backup.asl.json); selecting reads every image's tags when filtering by tag
    _task("BackupSelectImages", "export_backup.select_images", timeout_seconds=300),
    _task("BackupExportImage", "export_backup.export_image"),
    _task("BackupWaitForExport", "export_backup.wait_for_export"),
    _task("BackupCheckExport", "export_backup.check_export"),
    _task("BackupReport", "export_backup.report"),
    # ... managed updates (managed_update.asl.json)
    _task("UpdateCheckAvailable", "managed_update.check_update_available"),
    _task("UpdateCreateImage", "managed_update.create_updated_image"),
    _task("UpdateCheckImage", "managed_update.check_updated_image"),
    _task("UpdateCleanup", "managed_update.cleanup"),
    # ... fleet rollout (fleet_rollout.asl.json)
    _task("RolloutInspectFleet", "fleet_rollout.inspect_fleet"),
    _task("RolloutApplyFleet", "fleet_rollout.apply_fleet"),
    _task("RolloutRollbackFleet", "fleet_rollout.rollback_fleet"),
    _task("RolloutReport", "fleet_rollout.report"),
    # ... retention (retention.asl.json); planning reads every image's and builder's tags
    _task("RetentionPlan", "retention.plan_retention", timeout_seconds=300),
    _task("RetentionApply", "retention.apply_retention", timeout_seconds=300),
    _task("RetentionReport", "retention.report"),
    # ... every workflow: the cleanup execution of a stopped run (functions.workflows.cancellation)
    _task("PlanCancellation", "cancellation.plan_cancellation"),
    _task("RecordCancelled", "cancellation.record_cancelled"),
)

# The run API's function. It is no workflow task (no ASL state invokes it), so it stays out of
# LAMBDA_TASKS, which the ASL checks, the stack's task functions and the local engine iterate;
# its placeholder is never substituted. API Gateway gives up on an integration after 29 s: the
# function must end first, so the caller reads the function's own error, not a bare 504.
API_GATEWAY_LIMIT_SECONDS = 29
API_FUNCTION = LambdaTask("RunApi", "functions.api.handler.handler", "RunApiFunctionArn", timeout_seconds=25)

# The functions EventBridge rules invoke with a signal AWS sends (functions.core.signals): no ASL
# state invokes them, so they stay out of LAMBDA_TASKS too.
AMI_STATE_FUNCTION = LambdaTask(
    "ResumeOnAmiState",
    "functions.workflows.image_pipeline.signals.ami_state_change",
    "ResumeOnAmiStateFunctionArn",
    timeout_seconds=30,
)
AGENT_RESULT_FUNCTION = LambdaTask(
    "ResumeOnAgentResult",
    "functions.workflows.image_pipeline.signals.agent_result_written",
    "ResumeOnAgentResultFunctionArn",
    timeout_seconds=30,
)
SIGNAL_FUNCTIONS: tuple[LambdaTask, ...] = (AMI_STATE_FUNCTION, AGENT_RESULT_FUNCTION)

# The service integrations a Task calls, each named by a placeholder that is the whole `Resource`:
# the ARN's partition differs per region (arn:aws-us-gov:states:::lambda:invoke), and cfn-lint
# checks a Resource unless all of it is substituted. The stack fills in AWS::Partition; the local
# engine runs on moto, whose partition is aws.
INTEGRATION_PLACEHOLDERS: dict[str, str] = {
    "LambdaInvoke": "lambda:invoke",
    # A wait that ends when its function's task token comes back (functions.core.signals).
    "LambdaInvokeWaitForTaskToken": "lambda:invoke.waitForTaskToken",
    "StartExecutionSync": "states:startExecution.sync:2",
}
LAMBDA_INVOKE = "${LambdaInvoke}"
LAMBDA_INVOKE_WAIT_FOR_TOKEN = "${LambdaInvokeWaitForTaskToken}"
LOCAL_PARTITION = "aws"


def integration_arn(integration: str, partition: str) -> str:
    return f"arn:{partition}:states:::{integration}"


# Placeholder name -> environment variable (see functions.core.names) whose value it carries.
RESOURCE_PLACEHOLDERS: dict[str, str] = {
    "RunsTableName": names.ENV_RUNS_TABLE,
    "JobsBucketName": names.ENV_JOBS_BUCKET,
    "NotificationTopicArn": names.ENV_NOTIFICATION_TOPIC,
    "EventBusName": names.ENV_EVENT_BUS,
}
