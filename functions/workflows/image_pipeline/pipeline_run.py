"""The image pipeline run itself: validate the request into a plan, record the start and the success."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from functions.core.context import Context
from functions.core.errors import InvalidPipelineRequest
from functions.core.execution import Execution
from functions.core.model import Model
from functions.workflows.image_pipeline.phases import (
    AmiDistributePhase,
    BuilderPhase,
    CleanupPhase,
    DistributePhase,
    ExportPhase,
    SlotPhase,
    SnapshotPhase,
    SourcePhase,
)
from functions.workflows.image_pipeline.plan import Plan, build_plan, name_values
from functions.workflows.image_pipeline.request import PipelineRequest, parse_request


class Flow(Model):
    """What the Choice states branch on."""

    import_image: bool
    distribute: bool
    copy_image: bool  # the distribution copies the image to other regions
    export: bool
    distribute_ami: bool  # the exported AMI is distributed too
    copy_ami: bool  # ... and copied to other regions


def validate(raw: Any, execution: Execution, stage: str) -> dict[str, Any]:
    """The run's first state document, or InvalidPipelineRequest naming every bad field."""
    named = raw.get("pipeline") if isinstance(raw, dict) else None
    pipeline = named if isinstance(named, str) else "pipeline"
    result = parse_request(raw, name_values(execution, pipeline))
    if not isinstance(result, PipelineRequest):
        raise InvalidPipelineRequest(
            "invalid pipeline request: " + "; ".join(str(problem) for problem in result)
        )
    plan = build_plan(result, execution, stage)
    return initial_document(plan)


def initial_document(plan: Plan) -> dict[str, Any]:
    request = plan.request
    ami_distributed = bool(request.distribute and request.distribute.exported_ami and request.export)
    flow = Flow(
        import_image=request.imports,
        distribute=request.distribute is not None,
        copy_image=bool(request.distribute and request.distribute.copy_to_regions),
        export=request.export is not None,
        distribute_ami=ami_distributed,
        copy_ami=bool(ami_distributed and request.distribute and request.distribute.copy_to_regions),
    )
    phases: dict[str, BaseModel] = {
        "source": SourcePhase(image_name=plan.source_image_name),
        "builder_slot": SlotPhase(),
        "builder": BuilderPhase(name=plan.builder_name),
        "snapshot": SnapshotPhase(image_name=plan.image_name, mode=request.snapshot.mode),
        "distribute": DistributePhase(image_name=plan.image_name),
        "export": ExportPhase(ami_name=plan.ami_name),
        "distribute_ami": AmiDistributePhase(),
        "cleanup": CleanupPhase(),
    }
    return {
        "plan": plan.to_state(),
        "flow": flow.model_dump(),
        **{key: phase.model_dump(mode="json") for key, phase in phases.items()},
        # Filled by Catch: the cleanup loop's Choice tells success from failure by `error`.
        "error": None,
        "cleanup_error": None,
    }


def record_start(context: Context, plan: Plan) -> None:
    context.records.start_run(plan.run_id, plan.pipeline, plan.execution_arn, plan.request.to_document())


def record_success(context: Context, plan: Plan, document: dict[str, Any]) -> dict[str, Any]:
    """Close the run as SUCCEEDED; the result is the execution's output."""
    context.records.finish_run(plan.run_id, "SUCCEEDED")
    snapshot = SnapshotPhase.model_validate(document["snapshot"])
    export = (
        ExportPhase.model_validate(document["export"]) if document.get("flow", {}).get("export") else None
    )
    cleanup = CleanupPhase.model_validate(document.get("cleanup", {}))
    return {
        "run_id": plan.run_id,
        "pipeline": plan.pipeline,
        "status": "SUCCEEDED",
        "source_image": plan.source_image_name,
        "image": {"name": snapshot.image_name, "arn": snapshot.image_arn},
        "ami": {"name": export.ami_name, "id": export.ami_id} if export else None,
        "cleanup": cleanup.actions,
    }
