"""The /runs routes: thin, each parses its input, calls one service and returns a model."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from functions.api import cancelling, reading, workflow_routes
from functions.api.models import (
    RUN_ID,
    CancelledRun,
    ErrorDocument,
    RecordedStatus,
    RunDetail,
    RunPage,
    StartedRun,
    StartRunBody,
)
from functions.api.responses import BAD_INPUT, answer
from functions.api.settings import get_api_settings
from functions.api.workflow_routes import IdempotencyKey
from functions.core.context import get_context
from functions.workflows.image_pipeline.request import PIPELINE_NAME

router = APIGatewayRouter()

RunId = Annotated[str, Path(pattern=RUN_ID, description="run id (the execution name)")]


_NOT_FOUND = answer("No such run or pipeline", ErrorDocument)


@router.post(
    "/runs",
    status_code=202,
    summary="Start an image pipeline run",
    description="Start a run from a pipeline request, or run a configured pipeline with "
    '`{"pipeline": NAME}`. Answers at once; follow the run at `links.self`. '
    "The same as `POST /workflows/image-pipeline/runs`; other workflows start at "
    "`POST /workflows/{workflow}/runs`.",
    operation_id="startRun",
    tags=["runs"],
    responses={
        202: answer("The run's execution started", StartedRun),
        400: BAD_INPUT,
        404: _NOT_FOUND,
        409: answer(
            "A running run already makes the same image or AMI, or the idempotency key started "
            "another request",
            ErrorDocument,
        ),
    },
)
def start_run(
    body: Annotated[StartRunBody, Body(description="a pipeline request, or a configured pipeline")],
    idempotency_key: IdempotencyKey = None,
) -> StartedRun:
    return workflow_routes.start_pipeline_run(body, idempotency_key)


@router.get(
    "/runs",
    summary="List runs, newest first",
    operation_id="listRuns",
    tags=["runs"],
    responses={200: answer("One page of runs", RunPage), 400: BAD_INPUT},
)
def list_runs(
    pipeline: Annotated[
        str | None, Query(pattern=PIPELINE_NAME, description="only runs of this pipeline")
    ] = None,
    status: Annotated[RecordedStatus | None, Query(description="only runs in this status")] = None,
    limit: Annotated[int, Query(ge=1, le=100, description="runs per page")] = 20,
    next_token: Annotated[str | None, Query(max_length=2048, description="from the previous page")] = None,
) -> RunPage:
    return reading.list_runs(get_api_settings(), get_context().records, pipeline, status, limit, next_token)


@router.get(
    "/runs/<run_id>",
    summary="One run with its steps and current wait",
    operation_id="getRun",
    tags=["runs"],
    responses={200: answer("The run", RunDetail), 400: BAD_INPUT, 404: _NOT_FOUND},
)
def get_run(run_id: RunId) -> RunDetail:
    return reading.get_run(get_api_settings(), get_context().records, run_id)


@router.post(
    "/runs/<run_id>/cancel",
    summary="Cancel a run",
    description="Stops the execution and undoes what the workflow's failure path would (an image "
    "pipeline's builder stopped and deleted and its slot released; a managed update's new image "
    "deleted); the run ends CANCELLED. A fleet rollout is not stopped while it moves a fleet (409). "
    "Cancelling a cancelled run answers its state again.",
    operation_id="cancelRun",
    tags=["runs"],
    responses={
        200: answer("The run is cancelled, or cancelling while cleanup finishes", CancelledRun),
        400: BAD_INPUT,
        404: _NOT_FOUND,
        409: answer(
            "The run has already ended, is still starting, or is a fleet rollout moving a fleet",
            ErrorDocument,
        ),
    },
)
def cancel_run(run_id: RunId) -> CancelledRun:
    return cancelling.cancel(get_api_settings(), get_context().records, run_id, _caller())


def _caller() -> str:
    """Who asked: the IAM principal API Gateway authenticated (SigV4), else "unknown"."""
    identity = router.current_event.request_context.identity
    return str(identity.user_arn or identity.caller or "unknown")
