"""What the run API takes and answers: the pydantic models its OpenAPI document is generated from."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, field_validator

from functions.workflows.image_pipeline.request import PIPELINE_NAME, PipelineRequest

RUN_ID = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,79}$"
RecordedStatus = Literal["RUNNING", "SUCCEEDED", "FAILED", "CANCELLED"]
# STARTING: the execution exists but has not recorded its run yet (its first seconds).
RunStatus = Literal["STARTING", "RUNNING", "SUCCEEDED", "FAILED", "CANCELLED"]
StepStatus = Literal["RUNNING", "SUCCEEDED", "FAILED", "CANCELLED"]


class _Answer(BaseModel):
    model_config = ConfigDict(populate_by_name=True)


# --- POST /runs body ----------------------------------------------------------------------------


class ConfiguredPipelineRun(BaseModel):
    """Run a pipeline the deployment configures, with its stored request."""

    model_config = ConfigDict(extra="forbid")

    pipeline: str = Field(pattern=PIPELINE_NAME, description="name of a configured pipeline")


def _body_kind(value: Any) -> str:
    # A body that is only {"pipeline": ...} names a configured pipeline; anything else is a request,
    # so a bad request is reported against the request's own fields.
    if isinstance(value, dict) and set(value) == {"pipeline"}:
        return "configured"
    if isinstance(value, ConfiguredPipelineRun):
        return "configured"
    return "request"


StartRunBody = Annotated[
    Annotated[PipelineRequest, Tag("request")] | Annotated[ConfiguredPipelineRun, Tag("configured")],
    Discriminator(_body_kind),
]


# --- answers ------------------------------------------------------------------------------------


class RunLinks(_Answer):
    self_: str = Field(alias="self", description="this run")
    cancel: str = Field(description="POST here to cancel the run")


class StartedRun(_Answer):
    run_id: str = Field(description="also the Step Functions execution name")
    workflow: str = Field(description="image-pipeline, or the lifecycle workflow the run belongs to")
    pipeline: str = Field(description="the pipeline, or the lifecycle job (its request's name)")
    status: Literal["STARTING"] = "STARTING"
    execution_arn: str
    image_name: str | None = Field(
        None, description="the AppStream image an image pipeline run will create (none for lifecycle runs)"
    )
    links: RunLinks


class RunError(_Answer):
    step: str
    code: str = Field(description="error name, e.g. ImageBuilderFailed")
    message: str


class StepError(_Answer):
    code: str
    message: str


def _none_for_dash(value: Any) -> Any:
    # The records write "-" for "nothing seen" / "no further check".
    return None if value == "-" else value


class Check(_Answer):
    at: str = Field(description="ISO-8601 UTC time of the check")
    saw: str | None = Field(None, description="what it saw")

    _dash_is_nothing = field_validator("saw", mode="before")(_none_for_dash)


class Step(_Answer):
    step: str
    status: StepStatus
    attempts: int = 0
    polls: int = 0
    last_state: str | None = Field(None, description="what the last check saw")
    started_at: str | None = None
    ended_at: str | None = None
    duration_seconds: float | None = None
    next_check_at: str | None = Field(None, description="when a running step is checked next")
    next_check_in_seconds: float | None = Field(
        None, description="how long until that check, as of this answer (on the workflow's clock)"
    )
    checks: list[Check] = Field(default_factory=list, description="each check: when, and what it saw")
    error: StepError | None = None
    resource: dict[str, Any] = Field(default_factory=dict)

    _dash_is_nothing = field_validator("last_state", "next_check_at", mode="before")(_none_for_dash)


class CurrentWait(_Answer):
    step: str
    polls: int
    last_state: str | None = None
    next_check_at: str | None = Field(None, description="ISO-8601 UTC time of the next check")
    next_check_in_seconds: float | None = Field(None, description="how long until that check")


class RunSummary(_Answer):
    run_id: str
    workflow: str | None = Field(
        None, description="the workflow whose state machine runs it; null for one this API does not start"
    )
    pipeline: str = Field(description="the pipeline, or the lifecycle job (its request's name)")
    status: RunStatus
    started_at: str | None = None
    finished_at: str | None = None
    current_step: str | None = None
    error: RunError | None = None
    cancel_requested_at: str | None = None
    execution_arn: str | None = None


class RunDetail(RunSummary):
    steps: list[Step] = Field(default_factory=list)
    current_wait: CurrentWait | None = Field(None, description="the wait the run is in, if any")
    resources: dict[str, Any] = Field(default_factory=dict, description="what each finished phase made")
    links: RunLinks


class RunPage(_Answer):
    runs: list[RunSummary]
    next_token: str | None = Field(
        None, description="pass as next_token for the next page; absent at the end"
    )


class WorkflowSummary(_Answer):
    name: str = Field(description="as `image-factory run --workflow NAME` and `validate --workflow` name it")
    description: str
    start: str = Field(description="POST a request of this workflow here to start a run")


class WorkflowList(_Answer):
    workflows: list[WorkflowSummary]


class CancelledRun(_Answer):
    run_id: str
    status: Literal["CANCELLING", "CANCELLED"] = Field(
        description="CANCELLING: the execution is stopped and the workflow's own cleanup runs; the "
        "run's record ends CANCELLED (follow `links.self`). CANCELLED: the cleanup has run"
    )
    cleanup: list[str] = Field(default_factory=list, description="what the cleanup did, once CANCELLED")
    error: RunError | None = Field(None, description="a cleanup problem that needs a person, once CANCELLED")
    links: RunLinks


# --- errors -------------------------------------------------------------------------------------


class FieldProblem(_Answer):
    field: str = Field(description='dotted path of the bad field, e.g. "builder.root_volume_gb"')
    message: str


class ErrorDetail(_Answer):
    code: str = Field(description="stable: InvalidRequest, NotFound, Conflict, DependencyUnavailable, ...")
    message: str
    fields: list[FieldProblem] = Field(default_factory=list)


class ErrorDocument(_Answer):
    error: ErrorDetail


def links(run_id: str) -> RunLinks:
    return RunLinks(self_=f"/runs/{run_id}", cancel=f"/runs/{run_id}/cancel")
