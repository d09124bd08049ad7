"""The plan of an image pipeline run: the validated request plus every name derived from the run's
identity (`functions.core.plan.RunPlan`)."""

from __future__ import annotations

from typing import Any

from pydantic import SerializationInfo, field_serializer

from functions.core.execution import Execution, run_date, run_id_for
from functions.core.placeholders import NameValues, render
from functions.core.plan import RunPlan, run_identity
from functions.workflows.image_pipeline.request import PipelineRequest


class Plan(RunPlan):
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

    def to_state(self) -> dict[str, Any]:
        return self.model_dump(mode="json", context={"reveal_secrets": True})


def build_plan(request: PipelineRequest, execution: Execution, stage: str) -> Plan:
    values = name_values(execution, request.pipeline)
    imported = render("{pipeline}-{run}-imported", values) if request.imports else None
    return Plan(
        **run_identity(execution, stage),
        request=request,
        imported_image_name=imported,
        source_image_name=imported or source_name(request),
        builder_name=render("{pipeline}-{run}-builder", values),
        image_name=render(request.snapshot.image_name, values),
        ami_name=render(request.export.ami_name, values) if request.export else None,
    )


def source_name(request: PipelineRequest) -> str:
    """The existing image's name: given, or the last part of its ARN (`...:image/<name>`)."""
    if request.source.image_arn is not None:
        return request.source.image_arn.rsplit("/", 1)[1]
    return str(request.source.image_name)


def name_values(execution: Execution, pipeline: str) -> NameValues:
    return NameValues(pipeline=pipeline, date=run_date(execution.start_time), run=run_id_for(execution.name))
