"""The /runs routes: thin, each parses its input, calls one service and returns a model."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from functions.api import cancelling, reading, starting
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
from functions.api.settings import get_api_settings
from functions.context import get_context
from functions.request import PIPELINE_NAME

router = APIGatewayRouter()

RunId = Annotated[str, Path(pattern=RUN_ID, description="run id (the execution name)")]


def _answer(description: str, model: type) -> OpenAPIResponse:
    return {"description": description, "content": {"application/json": {"model": model}}}


_BAD_INPUT = _answer("Bad input: every bad field is listed", ErrorDocument)
_NOT_FOUND = _answer("No such run or pipeline", ErrorDocument)


@router.post(
    "/runs",
    status_code=202,
    summary="Start a run",
    description="Start a run from a pipeline request, or run a configured pipeline with "
    '`{"pipeline": NAME}`. Answers at once; follow the run at `links.self`.',
    operation_id="startRun",
    tags=["runs"],
    responses={
        202: _answer("The run's execution started", StartedRun),
        400: _BAD_INPUT,
        404: _NOT_FOUND,
        409: _answer("A running run already makes the same image or AMI", ErrorDocument),
    },
)
def start_run(
    body: Annotated[StartRunBody, Body(description="a pipeline request, or a configured pipeline")],
) -> StartedRun:
    return starting.start_run(get_api_settings(), get_context().records, body)


@router.get(
    "/runs",
    summary="List runs, newest first",
    operation_id="listRuns",
    tags=["runs"],
    responses={200: _answer("One page of runs", RunPage), 400: _BAD_INPUT},
)
def list_runs(
    pipeline: Annotated[
        str | None, Query(pattern=PIPELINE_NAME, description="only runs of this pipeline")
    ] = None,
    status: Annotated[RecordedStatus | None, Query(description="only runs in this status")] = None,
    limit: Annotated[int, Query(ge=1, le=100, description="runs per page")] = 20,
    next_token: Annotated[str | None, Query(max_length=2048, description="from the previous page")] = None,
) -> RunPage:
    return reading.list_runs(get_context().records, pipeline, status, limit, next_token)


@router.get(
    "/runs/<run_id>",
    summary="One run with its steps and current wait",
    operation_id="getRun",
    tags=["runs"],
    responses={200: _answer("The run", RunDetail), 400: _BAD_INPUT, 404: _NOT_FOUND},
)
def get_run(run_id: RunId) -> RunDetail:
    return reading.get_run(get_api_settings(), get_context().records, run_id)


@router.post(
    "/runs/<run_id>/cancel",
    summary="Cancel a run",
    description="Stops the execution and cleans up what the run made (builder stopped and deleted, "
    "builder slot released); the run ends CANCELLED. Cancelling a cancelled run answers its state again.",
    operation_id="cancelRun",
    tags=["runs"],
    responses={
        200: _answer("The run is cancelled, or cancelling while cleanup finishes", CancelledRun),
        400: _BAD_INPUT,
        404: _NOT_FOUND,
        409: _answer("The run has already ended, or is still starting", ErrorDocument),
    },
)
def cancel_run(run_id: RunId) -> CancelledRun:
    return cancelling.cancel(get_api_settings(), get_context(), run_id, _caller())


def _caller() -> str:
    """Who asked: the IAM principal API Gateway authenticated (SigV4), else "unknown"."""
    identity = router.current_event.request_context.identity
    return str(identity.user_arn or identity.caller or "unknown")
