"""Task LifecycleValidate: the request becomes the run's plan, or the run fails naming every bad field."""

from __future__ import annotations

import importlib
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.lifecycle import runs
from functions.lifecycle.events import LifecycleValidateEvent
from functions.observability import logger, metrics, tracer
from functions.settings import get_settings
from functions.workflows import DEFAULT_WORKFLOW, WORKFLOWS

# This task validates the requests of every lifecycle workflow, whose models the workflow
# registry would import on first use: load them with the task, so the first request of each
# workflow does not pay for building them.
for lifecycle_workflow in WORKFLOWS.values():
    if lifecycle_workflow.name != DEFAULT_WORKFLOW:
        importlib.import_module(lifecycle_workflow.parser.rpartition(".")[0])


@logger.inject_lambda_context(log_event=False, clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    task = LifecycleValidateEvent.model_validate(event)
    logger.append_keys(execution=task.execution.name, workflow=task.workflow)
    return runs.validate(task.workflow, task.request, task.execution, get_settings().stage)
