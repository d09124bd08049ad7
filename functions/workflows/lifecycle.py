"""The Task states every lifecycle workflow shares (ValidateRequest, RecordRun, RecordSuccess and
RecordFailure of export-backup, managed-update, fleet-rollout and retention; their Lambdas are
the `Lifecycle*` ones): validate the request into a plan, record the run's start, success, failure.

The records are those of every run (`functions.core.records`): one run item, one item per
step, a run state change event for every change of the run.
"""

from __future__ import annotations

import importlib
import json
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from functions.core import failures
from functions.core.context import get_context
from functions.core.errors import InvalidPipelineRequest
from functions.core.events import (
    FailureEvent,
    LifecyclePlanEvent,
    LifecycleSuccessEvent,
    LifecycleValidateEvent,
)
from functions.core.execution import Execution
from functions.core.observability import metrics
from functions.core.plan import LifecyclePlan, build_plan
from functions.core.request_fields import LifecycleRequest
from functions.core.settings import get_settings
from functions.core.task import is_lambda_handler, task
from functions.workflows import DEFAULT_WORKFLOW, WORKFLOWS, get_workflow


@task(LifecycleValidateEvent, keys={"workflow": "workflow"})
def validate_request(event: LifecycleValidateEvent) -> dict[str, Any]:
    return validate(event.workflow, event.request, event.execution, get_settings().stage)


def validate(workflow: str, raw: Any, execution: Execution, stage: str) -> dict[str, Any]:
    """The run's first state document, or InvalidPipelineRequest naming every bad field."""
    result = get_workflow(workflow).parse(raw)
    if isinstance(result, list):
        raise InvalidPipelineRequest(
            f"invalid {workflow} request: " + "; ".join(str(problem) for problem in result)
        )
    assert isinstance(result, LifecycleRequest)
    plan = build_plan(workflow, result, execution, stage)
    # Filled by Catch: the Choice after cleanup tells success from failure by `error`.
    return {
        "plan": plan.model_dump(mode="json"),
        "flow": result.flow(),
        **result.initial_state(),
        "error": None,
        "cleanup_error": None,
    }


# ValidateRequest validates the requests of every lifecycle workflow, whose models the workflow
# registry would import on first use: its function loads and builds them at init, so the first
# request of each workflow does not pay for building them. The other lifecycle functions never
# validate a request: their cold start skips the four models (elsewhere the registry imports them
# on first use, and a model is built when it first validates: functions.core.model).
if is_lambda_handler(validate_request):
    for lifecycle_workflow in WORKFLOWS.values():
        if lifecycle_workflow.name != DEFAULT_WORKFLOW:
            importlib.import_module(lifecycle_workflow.parser.rpartition(".")[0])
    for request_model in LifecycleRequest.__subclasses__():
        request_model.model_rebuild()


@task(LifecyclePlanEvent, keys={"workflow": "plan.workflow"})
def record_run(event: LifecyclePlanEvent) -> None:
    """The run record (RUNNING) of a lifecycle run and its first state change event."""
    plan = event.plan
    get_context().records.start_run(plan.run_id, plan.pipeline, plan.execution_arn, plan.request)


@task(LifecycleSuccessEvent, keys={"workflow": "plan.workflow"})
def record_success(event: LifecycleSuccessEvent) -> dict[str, Any]:
    """Close the run as SUCCEEDED; the workflow's result becomes the execution's output.

    What a person asks of the result first is kept on the run record too, where the API and the
    CLI read it: the images an export backup skipped and why, the AMIs of a chained export.
    """
    plan, result, records = event.plan, event.result, get_context().records
    metrics.add_metric(name="RunSucceeded", unit=MetricUnit.Count, value=1)
    for key, value in _shown(result).items():
        records.record_result(plan.run_id, key, value)
    records.finish_run(plan.run_id, "SUCCEEDED")
    return {
        "run_id": plan.run_id,
        "workflow": plan.workflow,
        "name": plan.pipeline,
        "status": "SUCCEEDED",
        **result,
    }


@task(FailureEvent)
def record_failure(event: FailureEvent) -> failures.Failure:
    """The run record FAILED; returns the Fail state's Error/Cause."""
    failure = failures.record_failure(get_context(), event.document, event.execution, LifecyclePlan)
    return failures.reported(failure)


def _shown(result: dict[str, Any]) -> dict[str, Any]:
    shown: dict[str, Any] = {}
    skipped = result.get("skipped") or []
    if skipped:
        shown["skipped"] = [f"{item['image_name']}: {item['reason']}" for item in skipped]
    export = result.get("export")
    if isinstance(export, dict) and export.get("output"):
        # A chained export-backup run's output: an object (`.sync:2`), or JSON text (`.sync`).
        output = export["output"]
        exported = (json.loads(output) if isinstance(output, str) else output).get("exported") or []
        made = [item for item in exported if item.get("ami_id")]
        if made:
            shown["chained_export"] = {
                "execution_arn": export.get("execution_arn"),
                "ami_id": made[0]["ami_id"],
                "amis": [f"{item['ami_id']} ({item.get('ami_name')})" for item in made],
            }
    return shown
