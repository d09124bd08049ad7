"""The image pipeline's Task states (statemachines/image_pipeline.asl.json): one function each, named
after its state, calling one service."""

from __future__ import annotations

import importlib
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from functions.core import failures
from functions.core.context import get_context
from functions.core.events import FailureEvent
from functions.core.observability import metrics
from functions.core.settings import get_settings
from functions.core.task import is_lambda_handler, task
from functions.workflows.image_pipeline.events import (
    AmiDistributeEvent,
    AmiShareEvent,
    BuilderEvent,
    CleanupEvent,
    DistributeEvent,
    ExportEvent,
    ExportWaitEvent,
    PlanEvent,
    SlotEvent,
    SnapshotEvent,
    SnapshotWaitEvent,
    SourceEvent,
    SuccessEvent,
    ValidateEvent,
)
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
from functions.workflows.image_pipeline.plan import Plan
from functions.workflows.image_pipeline.request import PipelineRequest


@task(ValidateEvent)
def validate_request(event: ValidateEvent) -> dict[str, Any]:
    """The request becomes the run's plan, or the run fails naming every bad field."""
    from functions.workflows.image_pipeline import pipeline_run

    return pipeline_run.validate(event.request, event.execution, get_settings().stage)


# Every request of ValidateRequest validates a pipeline request: its function builds the request
# model at init, as it does its event model; the pipeline's other functions never validate one.
if is_lambda_handler(validate_request):
    PipelineRequest.model_rebuild()


@task(PlanEvent)
def record_run(event: PlanEvent) -> None:
    """The run record (RUNNING) and its first state change event."""
    from functions.workflows.image_pipeline import pipeline_run

    pipeline_run.record_start(get_context(), event.plan)


@task(PlanEvent)
def preflight(event: PlanEvent) -> None:
    """Before anything is created: the names are free, the AMI importable, the roles allowed."""
    from functions.workflows.image_pipeline import preflight as preflight_service

    preflight_service.preflight(get_context(), event.plan)


@task(PlanEvent)
def import_image(event: PlanEvent) -> SourcePhase:
    """CreateImportedImage (or its dry run) for the run's source AMI."""
    from functions.workflows.image_pipeline import imports

    return imports.start_import(get_context(), event.plan)


@task(SourceEvent)
def check_image(event: SourceEvent) -> SourcePhase:
    """Is the source image AVAILABLE yet (imported, or existing)?"""
    from functions.workflows.image_pipeline import imports

    return imports.check_source(get_context(), event.plan, event.source)


@task(SlotEvent)
def acquire_builder_slot(event: SlotEvent) -> SlotPhase:
    """Take one of the limited image builder slots, or say how long to wait."""
    from functions.workflows.image_pipeline import slots

    return slots.acquire(get_context(), event.plan, event.builder_slot)


@task(PlanEvent)
def create_builder(event: PlanEvent) -> BuilderPhase:
    """CreateImageBuilder from the source image with the requested root volume."""
    from functions.workflows.image_pipeline import builders

    return builders.create_builder(get_context(), event.plan)


@task(BuilderEvent)
def check_builder(event: BuilderEvent) -> BuilderPhase:
    """Is the image builder RUNNING yet?"""
    from functions.workflows.image_pipeline import builders

    return builders.check_builder(get_context(), event.plan, event.builder)


@task(PlanEvent)
def start_snapshot(event: PlanEvent) -> SnapshotPhase:
    """Hand the builder agent its job, or announce the manual snapshot."""
    from functions.workflows.image_pipeline import snapshots

    return snapshots.start_snapshot(get_context(), event.plan)


@task(SnapshotEvent)
def check_snapshot(event: SnapshotEvent) -> SnapshotPhase:
    """Has the builder produced the new image, AVAILABLE?"""
    from functions.workflows.image_pipeline import snapshots

    return snapshots.check_snapshot(get_context(), event.plan, event.snapshot)


@task(PlanEvent)
def copy_image(event: PlanEvent) -> DistributePhase:
    """CopyImage of the new image to each region the request names (each copy tagged as the run's)."""
    from functions.workflows.image_pipeline import distribution

    return distribution.copy_image(get_context(), event.plan)


@task(DistributeEvent)
def check_copies(event: DistributeEvent) -> DistributePhase:
    """Is every copy AVAILABLE in its region yet?"""
    from functions.workflows.image_pipeline import distribution

    return distribution.check_copies(get_context(), event.plan, event.distribute)


@task(DistributeEvent)
def share_image(event: DistributeEvent) -> DistributePhase:
    """UpdateImagePermissions of the image and its copies for each account the request names."""
    from functions.workflows.image_pipeline import distribution

    return distribution.share_image(get_context(), event.plan, event.distribute)


@task(PlanEvent)
def export_image(event: PlanEvent) -> ExportPhase:
    """CreateExportImageTask from the new image to an EC2 AMI."""
    from functions.workflows.image_pipeline import exports

    return exports.start_export(get_context(), event.plan)


@task(SnapshotWaitEvent)
def wait_for_snapshot(event: SnapshotWaitEvent) -> None:
    """Wait for the agent's result, at most as long as CheckSnapshot planned."""
    from functions.workflows.image_pipeline import snapshots

    snapshots.wait_for_snapshot(get_context(), event.plan, event.snapshot, event.token)


@task(ExportWaitEvent)
def wait_for_export(event: ExportWaitEvent) -> None:
    """Wait for the AMI's state change, at most as long as CheckExport planned."""
    from functions.workflows.image_pipeline import exports

    exports.wait_for_export(get_context(), event.plan, event.export, event.token)


@task(ExportEvent)
def check_export(event: ExportEvent) -> ExportPhase:
    """Has the export task COMPLETED?"""
    from functions.workflows.image_pipeline import exports

    return exports.check_export(get_context(), event.plan, event.export)


@task(ExportEvent)
def copy_ami(event: ExportEvent) -> AmiDistributePhase:
    """EC2 CopyImage of the exported AMI to each region the request names (tagged as the run's)."""
    from functions.workflows.image_pipeline import ami_distribution

    return ami_distribution.copy_ami(get_context(), event.plan, event.export)


@task(AmiDistributeEvent)
def check_ami_copies(event: AmiDistributeEvent) -> AmiDistributePhase:
    """Is every copy of the AMI available in its region yet?"""
    from functions.workflows.image_pipeline import ami_distribution

    return ami_distribution.check_ami_copies(get_context(), event.plan, event.distribute_ami)


@task(AmiShareEvent)
def share_ami(event: AmiShareEvent) -> AmiDistributePhase:
    """Launch permission on the AMI and its copies for each account the request names."""
    from functions.workflows.image_pipeline import ami_distribution

    return ami_distribution.share_ami(get_context(), event.plan, event.export, event.distribute_ami)


@task(CleanupEvent)
def cleanup(event: CleanupEvent) -> CleanupPhase:
    """One step toward nothing of the run being left behind; the state machine loops until done."""
    from functions.workflows.image_pipeline import cleanup as cleanup_service

    return cleanup_service.cleanup(get_context(), event.plan, event.cleanup)


@task(SuccessEvent)
def record_success(event: SuccessEvent) -> dict[str, Any]:
    """The run record SUCCEEDED; returns the execution's output."""
    from functions.workflows.image_pipeline import pipeline_run

    metrics.add_metric(name="RunSucceeded", unit=MetricUnit.Count, value=1)
    return pipeline_run.record_success(get_context(), event.plan, event.document)


@task(FailureEvent)
def record_failure(event: FailureEvent) -> failures.Failure:
    """The run record FAILED (step, code, message); returns the Fail state's Error/Cause."""
    return failures.reported(failures.record_failure(get_context(), event.document, event.execution, Plan))


# The pipeline's twenty-three functions share this module and each calls one service, imported where it
# is called: a function loads its own service at init, and its cold start skips the others.
_SERVICES = {
    validate_request: "pipeline_run",
    record_run: "pipeline_run",
    preflight: "preflight",
    import_image: "imports",
    check_image: "imports",
    acquire_builder_slot: "slots",
    create_builder: "builders",
    check_builder: "builders",
    start_snapshot: "snapshots",
    check_snapshot: "snapshots",
    wait_for_snapshot: "snapshots",
    copy_image: "distribution",
    check_copies: "distribution",
    share_image: "distribution",
    export_image: "exports",
    wait_for_export: "exports",
    check_export: "exports",
    copy_ami: "ami_distribution",
    check_ami_copies: "ami_distribution",
    share_ami: "ami_distribution",
    cleanup: "cleanup",
    record_success: "pipeline_run",
}
for _handler, _service in _SERVICES.items():
    if is_lambda_handler(_handler):
        importlib.import_module(f"functions.workflows.image_pipeline.{_service}")
