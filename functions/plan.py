"""The plan of one run: the validated request plus everything derived from the run's identity.

Built once by the first state and carried in the execution's state, so every later
task derives the same names and tags: a retried task recreates nothing new.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, SerializationInfo, field_serializer

from functions import names

# Execution and the run id live in functions.execution; they stay importable from here.
from functions.execution import MAX_RUN_ID as MAX_RUN_ID
from functions.execution import Execution as Execution
from functions.execution import run_date as run_date
from functions.execution import run_id_for as run_id_for
from functions.placeholders import NameValues, render
from functions.request import PipelineRequest


class Plan(BaseModel):
    model_config = ConfigDict(frozen=True)

    run_id: str
    execution_arn: str
    started_at: str
    date: str
    # The deployment's stage, fixed when the run is planned so every task tags alike. None only in
    # a run planned before plans carried it: its resources carry no stage, and no retention deletes them.
    stage: str | None = None
    request: PipelineRequest
    imported_image_name: str | None  # None when the run starts from an existing image
    source_image_name: str
    builder_name: str
    image_name: str
    ami_name: str | None

    @field_serializer("request")
    def _request_document(self, request: PipelineRequest, info: SerializationInfo) -> dict[str, Any]:
        # The state machine carries the plan to the tasks that need secrets (the import); logs never do.
        return request.to_document(reveal_secrets=bool((info.context or {}).get("reveal_secrets")))

    @property
    def pipeline(self) -> str:
        return self.request.pipeline

    @property
    def tags(self) -> dict[str, str]:
        """Tags on every resource of this run: how a retried create recognises its own resource,
        and how retention knows which stage's resource it is."""
        return names.run_tags(self.run_id, self.pipeline, self.stage)

    def to_state(self) -> dict[str, Any]:
        return self.model_dump(mode="json", context={"reveal_secrets": True})


def build_plan(request: PipelineRequest, execution: Execution, stage: str) -> Plan:
    run_id = run_id_for(execution.name)
    values = NameValues(pipeline=request.pipeline, date=run_date(execution.start_time), run=run_id)
    imported = render("{pipeline}-{run}-imported", values) if request.imports else None
    return Plan(
        run_id=run_id,
        execution_arn=execution.id,
        started_at=execution.start_time,
        date=values.date,
        stage=stage,
        request=request,
        imported_image_name=imported,
        source_image_name=imported or str(request.source.image_name),
        builder_name=render("{pipeline}-{run}-builder", values),
        image_name=render(request.snapshot.image_name, values),
        ami_name=render(request.export.ami_name, values) if request.export else None,
    )


def name_values(execution: Execution, pipeline: str) -> NameValues:
    return NameValues(pipeline=pipeline, date=run_date(execution.start_time), run=run_id_for(execution.name))
