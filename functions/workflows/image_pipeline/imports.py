"""The source image: import an EC2 AMI or a WorkSpaces image, or use an existing image; wait until it is
AVAILABLE."""

from __future__ import annotations

from typing import Any, Final

from functions.core import appstream, clients, waits
from functions.core.context import Context
from functions.core.errors import ImageImportFailed, SourceImageNotUsable
from functions.core.steps import failures_recorded
from functions.workflows.image_pipeline import durations
from functions.workflows.image_pipeline.phases import SourcePhase
from functions.workflows.image_pipeline.plan import Plan

# One step whether the run imports its source or starts from an existing image (which it only
# checks); the history key tells the two apart (durations.variant).
STEP: Final = "source"
IN_PROGRESS = {"PENDING", "IMPORTING", "VALIDATING", "CREATING", "COPYING"}


def import_parameters(plan: Plan) -> dict[str, Any]:
    request = plan.request
    settings = request.import_
    params: dict[str, Any] = {
        "Name": plan.imported_image_name,
        "Description": f"Imported by image factory pipeline {request.pipeline}",
        "Tags": plan.tags,
    }
    # An EC2 AMI, or a WorkSpaces BYOL image (which AppStream imports as a BYOL image).
    if request.source.workspace_image_id is not None:
        params["WorkspaceImageId"] = request.source.workspace_image_id
    else:
        params["SourceAmiId"] = request.source.ami_id
    if request.source.import_role_arn is not None:
        params["IamRoleArn"] = request.source.import_role_arn
    if settings.runtime_validation_instance_type:
        params["RuntimeValidationConfig"] = {
            "IntendedInstanceType": settings.runtime_validation_instance_type
        }
    if settings.agent_software_version:
        params["AgentSoftwareVersion"] = settings.agent_software_version
    if settings.app_catalog:
        params["AppCatalogConfig"] = [
            _app(entry.model_dump(context={"reveal_secrets": True})) for entry in settings.app_catalog
        ]
    return params


def _app(entry: dict[str, Any]) -> dict[str, Any]:
    keys = {
        "name": "Name",
        "display_name": "DisplayName",
        "absolute_app_path": "AbsoluteAppPath",
        "absolute_icon_path": "AbsoluteIconPath",
        "absolute_manifest_path": "AbsoluteManifestPath",
        "working_directory": "WorkingDirectory",
        "launch_parameters": "LaunchParameters",
    }
    return {api: entry[field] for field, api in keys.items() if entry.get(field) is not None}


def dry_run(plan: Plan) -> None:
    """Ask AppStream whether the import would be accepted (role, AMI, name) without importing."""
    try:
        appstream.call(
            "CreateImportedImage (dry run)",
            clients.appstream().create_imported_image,
            **import_parameters(plan),
            DryRun=True,
        )
    except Exception as error:
        if appstream.appstream_code(error) == "DryRunOperationException":
            return  # AppStream's way of saying "this would have succeeded"
        raise


def start_import(context: Context, plan: Plan) -> SourcePhase:
    """Import the AMI; a retried import adopts the image this run already started."""
    name = str(plan.imported_image_name)
    context.records.step_started(plan.run_id, STEP, {"image_name": name})
    with failures_recorded(context, plan, STEP):
        try:
            image = appstream.call(
                f"CreateImportedImage {name!r}",
                clients.appstream().create_imported_image,
                **import_parameters(plan),
            )["Image"]
        except Exception as error:
            if not appstream.already_exists(error):
                raise
            image = appstream.adopt("imported image", appstream.find_image(name), name, plan.tags)
        context.records.step_created(plan.run_id, STEP, {"name": name, "arn": image.get("Arn")})
        phase = SourcePhase(image_name=name, image_arn=image.get("Arn"), state=image.get("State"))
        return waits.begin(phase, durations.timing_for(plan, "source", context), context)


def start_source_check(context: Context, plan: Plan) -> SourcePhase:
    """An existing image: check it straight away."""
    context.records.step_started(plan.run_id, STEP, {"image_name": plan.source_image_name})
    phase = SourcePhase(image_name=plan.source_image_name)
    with failures_recorded(context, plan, STEP):
        return waits.begin(phase, durations.timing_for(plan, "source", context), context, check_first=True)


def check_source(context: Context, plan: Plan, phase: SourcePhase) -> SourcePhase:
    with failures_recorded(context, plan, STEP):
        if phase.started_at is None:
            phase = start_source_check(context, plan)
        arn = plan.request.source.image_arn
        image = appstream.find_image_by_arn(arn) if arn else appstream.find_image(phase.image_name)
        if image is None:
            error = ImageImportFailed if plan.request.imports else SourceImageNotUsable
            raise error(f"{STEP}: image {phase.image_name!r} does not exist")
        state = str(image.get("State"))
        if state == "FAILED":
            error = ImageImportFailed if plan.request.imports else SourceImageNotUsable
            raise error(f"{STEP}: image {phase.image_name!r} is FAILED: {appstream.reason_of(image)}")
        if state not in IN_PROGRESS and state != "AVAILABLE":
            raise SourceImageNotUsable(f"{STEP}: image {phase.image_name!r} is {state}")
        if state == "AVAILABLE" and image.get("ImageBuilderSupported") is False:
            raise SourceImageNotUsable(f"{STEP}: image {phase.image_name!r} cannot start an image builder")
        # The import is over and the validation runs: what is left is planned afresh.
        progressed = state == "VALIDATING" and phase.state != "VALIDATING"
        phase = phase.model_copy(update={"state": state, "image_arn": image.get("Arn")})
        phase = waits.checked(
            phase,
            state == "AVAILABLE",
            context,
            f"{STEP}: image {phase.image_name!r} ({state})",
            progressed=progressed,
        )
        context.records.step_polled(plan.run_id, STEP, phase.polls, state, phase.wait_seconds)
        if phase.done:
            _finished(context, plan, phase)
        return phase


def _finished(context: Context, plan: Plan, phase: SourcePhase) -> None:
    seconds = waits.elapsed(phase)
    resource = {"image_name": phase.image_name, "image_arn": phase.image_arn}
    context.records.step_succeeded(plan.run_id, STEP, resource, seconds)
    context.records.record_phase(plan.run_id, STEP, seconds, resource, durations.variant(plan, STEP))
