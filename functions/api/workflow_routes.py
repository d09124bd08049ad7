"""The /workflows routes: the workflows this API starts, and one start route per workflow.

Each workflow of `functions.workflows` gets `POST /workflows/<name>/runs` with its own
request model as the body (so the OpenAPI document carries every request's schema);
`POST /runs` is `/workflows/image-pipeline/runs` under its first name, through the same
handler and start path (`functions.api.workflow_runs`). API Gateway
serves only these paths (403 for any other); a path naming no workflow that reaches the
handler anyway answers 404 listing the known ones (see `functions.api.app`).
"""

from __future__ import annotations

import importlib
import typing
from collections.abc import Callable
from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Body, Header
from aws_lambda_powertools.event_handler.router import APIGatewayRouter
from pydantic import BaseModel

from functions.api import workflow_runs
from functions.api.launching import IDEMPOTENCY_KEY
from functions.api.models import ErrorDocument, StartedRun, StartRunBody, WorkflowList, WorkflowSummary
from functions.api.responses import BAD_INPUT, answer
from functions.api.settings import get_api_settings
from functions.core.context import get_context
from functions.workflows import DEFAULT_WORKFLOW, WORKFLOWS, Workflow

router = APIGatewayRouter()

IdempotencyKey = Annotated[
    str | None,
    Header(
        pattern=IDEMPOTENCY_KEY,
        description="Retries with the same key answer the run the first call started instead of "
        "starting another (for as long as Step Functions keeps the execution: 90 days after it ends)",
    ),
]


def start_path(workflow: str) -> str:
    return f"/workflows/{workflow}/runs"


@router.get(
    "/workflows",
    summary="The workflows this API starts",
    operation_id="listWorkflows",
    tags=["workflows"],
    responses={200: answer("Every workflow, with where to start its runs", WorkflowList)},
)
def list_workflows() -> WorkflowList:
    settings = get_api_settings()
    return WorkflowList(
        workflows=[
            WorkflowSummary(name=name, description=WORKFLOWS[name].description, start=start_path(name))
            for name in settings.state_machines
        ]
    )


def _start_responses(workflow: str) -> dict[int, Any]:
    conflict = (
        "A running run already makes the same image or AMI, or the idempotency key started another request"
        if workflow == DEFAULT_WORKFLOW
        else "A run of the same job is still running, or the idempotency key started another request"
    )
    missing = (
        "No such configured pipeline" if workflow == DEFAULT_WORKFLOW else "The workflow is not deployed"
    )
    return {
        202: answer("The run's execution started (or the idempotency key's earlier run)", StartedRun),
        400: BAD_INPUT,
        404: answer(missing, ErrorDocument),
        409: answer(conflict, ErrorDocument),
    }


def _request_model(workflow: Workflow) -> type[BaseModel]:
    """The model the workflow's `parse_request` returns: the body its start route documents."""
    module, _, attribute = workflow.parser.rpartition(".")
    parser = getattr(importlib.import_module(module), attribute)
    returned = typing.get_type_hints(parser)["return"]
    model = next(
        (
            kind
            for kind in typing.get_args(returned)
            if isinstance(kind, type) and issubclass(kind, BaseModel)
        ),
        None,
    )
    if model is None:
        raise TypeError(f"{workflow.parser} does not return a request model")
    return model


def _start_lifecycle(workflow: str) -> Callable[..., StartedRun]:
    def start(body: Any, idempotency_key: Any = None) -> StartedRun:
        # The model has checked the body; the run starts with the request exactly as written.
        document = router.current_event.json_body
        settings = get_api_settings()
        return workflow_runs.start_run(settings, get_context().records, workflow, document, idempotency_key)

    # The resolver validates and documents the body from the handler's annotations; one handler per
    # workflow, so its model is set here rather than written out five times.
    model = _request_model(WORKFLOWS[workflow])
    start.__annotations__ = {
        "body": Annotated[model, Body(description=f"a {workflow} request")],
        "idempotency_key": IdempotencyKey,
        "return": StartedRun,
    }
    return start


def start_pipeline_run(
    body: Annotated[StartRunBody, Body(description="a pipeline request, or a configured pipeline")],
    idempotency_key: IdempotencyKey = None,
) -> StartedRun:
    return workflow_runs.start_run(
        get_api_settings(), get_context().records, DEFAULT_WORKFLOW, body, idempotency_key
    )


def _operation_id(workflow: str) -> str:
    return "start" + "".join(part.capitalize() for part in workflow.split("-")) + "Run"


def _description(workflow: Workflow) -> str:
    schema = "request" if workflow.name == DEFAULT_WORKFLOW else f"{workflow.name}-request"
    configured = (
        ', or `{"pipeline": NAME}` to run a configured pipeline' if workflow.name == DEFAULT_WORKFLOW else ""
    )
    what = workflow.description[:1].upper() + workflow.description[1:]
    return (
        f"{what}. The body is the workflow's request (`image-factory schema {schema}`){configured}. "
        "Answers at once; follow the run at `links.self`."
    )


def _register(workflow: Workflow) -> None:
    handler = start_pipeline_run if workflow.name == DEFAULT_WORKFLOW else _start_lifecycle(workflow.name)
    router.post(
        start_path(workflow.name),
        status_code=202,
        summary=f"Start a {workflow.name} run",
        description=_description(workflow),
        operation_id=_operation_id(workflow.name),
        tags=["workflows"],
        responses=_start_responses(workflow.name),
    )(handler)


for _workflow in WORKFLOWS.values():
    _register(_workflow)
