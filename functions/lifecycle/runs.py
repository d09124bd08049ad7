"""A lifecycle run's own records: validate the request into a plan, record start, success and failure.

The records are the image pipeline's (`functions.records`): one run item, one item per
step, a run state change event for every change of the run.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from functions.causes import cause_message
from functions.context import Context
from functions.errors import InvalidPipelineRequest
from functions.execution import Execution
from functions.lifecycle.plan import LifecyclePlan, LifecycleRequest, build_plan
from functions.workflows import get_workflow

if TYPE_CHECKING:
    from functions.services.runs import Failure


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


def record_start(context: Context, plan: LifecyclePlan) -> None:
    context.records.start_run(plan.run_id, plan.pipeline, plan.execution_arn, plan.request)


def record_success(context: Context, plan: LifecyclePlan, result: dict[str, Any]) -> dict[str, Any]:
    """Close the run as SUCCEEDED; the workflow's result becomes the execution's output.

    What a person asks of the result first is kept on the run record too, where the API and the
    CLI read it: the images an export backup skipped and why, the AMIs of a chained export.
    """
    for key, value in _shown(result).items():
        context.records.record_result(plan.run_id, key, value)
    context.records.finish_run(plan.run_id, "SUCCEEDED")
    return {
        "run_id": plan.run_id,
        "workflow": plan.workflow,
        "name": plan.pipeline,
        "status": "SUCCEEDED",
        **result,
    }


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


def record_failure(context: Context, document: dict[str, Any], execution: Execution) -> Failure:
    """Close the run as FAILED. A state that is no Lambda task (a chained workflow) names its step
    in `failed_step`, so the failure is recorded against it rather than the last task's step."""
    # Imported here: it brings the image pipeline's models, which no other lifecycle task needs
    # (the failure task imports it when it loads, so its cold start still pays for it).
    from functions.services import runs

    step, caught, plan = document.get("failed_step"), document.get("error"), document.get("plan")
    if isinstance(step, str) and isinstance(caught, dict) and isinstance(plan, dict):
        run_id, code = str(plan["run_id"]), str(caught.get("Error") or "Unknown")
        message = f"{step}: {cause_message(caught.get('Cause'))}"
        context.records.step_failed(run_id, step, code, message)
        context.records.record_run_error(run_id, step, code, message)
    return runs.record_failure(context, document, execution, plan_type=LifecyclePlan)
