"""The plan of a lifecycle run: which workflow, the validated request, and the run's identity.

Lifecycle workflows share the runs table, run events and failure records with the
image pipeline; a run is recorded under the request's `name` as its pipeline, so
`image-factory runs --pipeline NAME` lists a backup job's or update job's runs too.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from functions import names
from functions.execution import Execution, run_date, run_id_for
from functions.request_fields import PIPELINE_NAME, FieldError, PhaseWait, field_errors

M = TypeVar("M", bound=BaseModel)


class RequestSection(BaseModel):
    # A misspelt key is an error, not a silently ignored setting; JSON types are never coerced.
    model_config = ConfigDict(extra="forbid", populate_by_name=True, strict=True)


class LifecycleRequest(RequestSection):
    """What every lifecycle request has: the job's name (its runs share records and history)."""

    name: str = Field(pattern=PIPELINE_NAME, description="names the job; its runs are listed under it")

    def flow(self) -> dict[str, Any]:
        """What the state machine's Choice states branch on."""
        return {}

    def initial_state(self) -> dict[str, Any]:
        """Keys the state machine reads before any task sets them (JSONPath fails on a missing key)."""
        return {}

    def summary(self) -> str:
        """One line for `image-factory validate`: what a run of this request would do."""
        return type(self).__name__


def parse_model(model: type[M], raw: Any) -> M | list[FieldError]:
    try:
        return model.model_validate(raw)
    except ValidationError as error:
        return field_errors(error)


def json_schema(model: type[BaseModel], title: str) -> dict[str, Any]:
    schema = model.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = title
    return schema


class LifecyclePlan(BaseModel):
    model_config = ConfigDict(frozen=True)

    workflow: str
    run_id: str
    execution_arn: str
    started_at: str
    date: str
    stage: str | None = None  # as in functions.plan.Plan: None only in a run planned before plans carried it
    request: dict[str, Any]  # the validated request as written (by alias); services re-read it typed

    @property
    def pipeline(self) -> str:
        """The name runs are recorded under (the run records call it pipeline)."""
        return str(self.request["name"])

    @property
    def tags(self) -> dict[str, str]:
        return names.run_tags(self.run_id, self.pipeline, self.stage)

    def typed(self, model: type[M]) -> M:
        return model.model_validate(self.request)


def build_plan(workflow: str, request: LifecycleRequest, execution: Execution, stage: str) -> LifecyclePlan:
    return LifecyclePlan(
        workflow=workflow,
        run_id=run_id_for(execution.name),
        execution_arn=execution.id,
        started_at=execution.start_time,
        date=run_date(execution.start_time),
        stage=stage,
        request=request.model_dump(mode="json", by_alias=True, exclude_unset=True),
    )


def wait_override(wait: PhaseWait) -> tuple[float | None, float | None]:
    """(expected, ceiling) seconds a request sets for a wait, None where it leaves the default."""
    expected = wait.expected_minutes * 60 if wait.expected_minutes else None
    ceiling = wait.ceiling_minutes * 60 if wait.ceiling_minutes else None
    return expected, ceiling
