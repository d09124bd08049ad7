"""The plan of one run: the validated request plus everything derived from the run's identity.

Built once by the first state and carried in the execution's state, so every later
task derives the same names and tags: a retried task recreates nothing new.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from pydantic import BaseModel, ConfigDict, SerializationInfo, field_serializer

from functions import names
from functions.placeholders import NameValues, render
from functions.request import PipelineRequest

_NOT_NAME_CHARACTER = re.compile(r"[^A-Za-z0-9_.-]")
MAX_RUN_ID = 40


def run_id_for(execution_name: str) -> str:
    """A run id usable inside AppStream names and tag values, derived only from the execution name.

    Names that are already safe and short are kept as they are (people recognise them);
    others are cleaned and shortened, with a digest of the original so two executions
    never share an id.
    """
    token = _NOT_NAME_CHARACTER.sub("-", execution_name).lstrip("-_.")
    if token == execution_name and len(token) <= MAX_RUN_ID:
        return token
    digest = hashlib.sha256(execution_name.encode()).hexdigest()[:8]
    return f"{token[: MAX_RUN_ID - 9]}-{digest}".lstrip("-") or digest


def run_date(start_time: str) -> str:
    """YYYYMMDD of an ISO-8601 execution start time."""
    return start_time[:10].replace("-", "")


class Execution(BaseModel):
    """The execution as the state machine's context object describes it."""

    id: str  # execution ARN
    name: str
    start_time: str  # ISO-8601


class Plan(BaseModel):
    model_config = ConfigDict(frozen=True)

    run_id: str
    execution_arn: str
    started_at: str
    date: str
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
        """Tags on every resource of this run: how a retried create recognises its own resource."""
        return {names.TAG_RUN_ID: self.run_id, names.TAG_PIPELINE: self.pipeline}

    def to_state(self) -> dict[str, Any]:
        return self.model_dump(mode="json", context={"reveal_secrets": True})


def build_plan(request: PipelineRequest, execution: Execution) -> Plan:
    run_id = run_id_for(execution.name)
    values = NameValues(pipeline=request.pipeline, date=run_date(execution.start_time), run=run_id)
    imported = f"{request.pipeline}-{run_id}-imported" if request.imports else None
    return Plan(
        run_id=run_id,
        execution_arn=execution.id,
        started_at=execution.start_time,
        date=values.date,
        request=request,
        imported_image_name=imported,
        source_image_name=imported or str(request.source.image_name),
        builder_name=f"{request.pipeline}-{run_id}-builder",
        image_name=render(request.snapshot.image_name, values),
        ami_name=render(request.export.ami_name, values) if request.export else None,
    )


def name_values(execution: Execution, pipeline: str) -> NameValues:
    return NameValues(pipeline=pipeline, date=run_date(execution.start_time), run=run_id_for(execution.name))
