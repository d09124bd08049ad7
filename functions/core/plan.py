"""The plan of a run: its identity (what every workflow derives from the execution), and the
lifecycle workflows' plan around it.

Built once by the first state and carried in the execution's state, so every later task
derives the same names and tags: a retried task recreates nothing new. Lifecycle workflows
share the runs table, run events and failure records with the image pipeline; a lifecycle
run is recorded under the request's `name` as its pipeline, so `image-factory runs --pipeline
NAME` lists a backup job's or update job's runs too.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict

from functions.core import names
from functions.core.execution import Execution, run_date, run_id_for
from functions.core.model import Model
from functions.core.request_fields import LifecycleRequest

M = TypeVar("M", bound=BaseModel)


class RunPlan(Model):
    """What every workflow's plan has: the run's identity, and the tags every resource of it carries."""

    model_config = ConfigDict(frozen=True)

    run_id: str
    execution_arn: str
    started_at: str
    date: str
    # The deployment's stage, fixed when the run is planned so every task tags alike. None only in
    # a run planned before plans carried it: its resources carry no stage, and no retention deletes them.
    stage: str | None = None

    @property
    def pipeline(self) -> str:
        """The name runs are recorded under (the run records call it pipeline)."""
        raise NotImplementedError

    @property
    def tags(self) -> dict[str, str]:
        """Tags on every resource of this run: how a retried create recognises its own resource,
        and how retention knows which stage's resource it is."""
        return names.run_tags(self.run_id, self.pipeline, self.stage)


def run_identity(execution: Execution, stage: str) -> dict[str, Any]:
    """The `RunPlan` fields of a run of `execution`."""
    return {
        "run_id": run_id_for(execution.name),
        "execution_arn": execution.id,
        "started_at": execution.start_time,
        "date": run_date(execution.start_time),
        "stage": stage,
    }


class LifecyclePlan(RunPlan):
    workflow: str
    request: dict[str, Any]  # the validated request as written (by alias); services re-read it typed

    @property
    def pipeline(self) -> str:
        return str(self.request["name"])

    def typed(self, model: type[M]) -> M:
        return model.model_validate(self.request)


def build_plan(workflow: str, request: LifecycleRequest, execution: Execution, stage: str) -> LifecyclePlan:
    return LifecyclePlan(
        workflow=workflow,
        request=request.model_dump(mode="json", by_alias=True, exclude_unset=True),
        **run_identity(execution, stage),
    )
