"""The image builder: create it from the source image with the requested root volume; wait for RUNNING."""

from __future__ import annotations

from typing import Any

from functions.core import appstream, clients, waits
from functions.core.context import Context
from functions.core.errors import ImageBuilderFailed
from functions.core.steps import failures_recorded
from functions.workflows.image_pipeline import durations
from functions.workflows.image_pipeline.phases import BuilderPhase
from functions.workflows.image_pipeline.plan import Plan

STEP = "builder"
STARTING = {
    "PENDING",
    "UPDATING_AGENT",
    "PENDING_QUALIFICATION",
    "PENDING_SYNCING_APPS",
    "SYNCING_APPS",
    "PENDING_IMAGE_IMPORT",
    "REBOOTING",
    "UPDATING",
}


def builder_parameters(plan: Plan) -> dict[str, Any]:
    settings = plan.request.builder
    params: dict[str, Any] = {
        "Name": plan.builder_name,
        "InstanceType": settings.instance_type,
        "RootVolumeConfig": {"VolumeSizeInGb": settings.root_volume_gb},
        "EnableDefaultInternetAccess": settings.enable_default_internet_access,
        "Description": f"Image factory pipeline {plan.pipeline}, run {plan.run_id}",
        "Tags": plan.tags,
    }
    # An image shared from another account is named by its ARN: its name is the owner's.
    if plan.request.source.image_arn is not None:
        params["ImageArn"] = plan.request.source.image_arn
    else:
        params["ImageName"] = plan.source_image_name
    if settings.subnet_ids:
        params["VpcConfig"] = {
            "SubnetIds": settings.subnet_ids,
            "SecurityGroupIds": settings.security_group_ids,
        }
    if settings.iam_role_arn:
        params["IamRoleArn"] = settings.iam_role_arn
    if settings.domain_join:
        join: dict[str, str] = {"DirectoryName": settings.domain_join.directory_name}
        if settings.domain_join.organizational_unit_distinguished_name:
            join["OrganizationalUnitDistinguishedName"] = (
                settings.domain_join.organizational_unit_distinguished_name
            )
        params["DomainJoinInfo"] = join
    if settings.access_endpoints:
        params["AccessEndpoints"] = [endpoint.to_api() for endpoint in settings.access_endpoints]
    if settings.appstream_agent_version:
        params["AppstreamAgentVersion"] = settings.appstream_agent_version
    apps = settings.license_included_apps
    if apps is not None and apps.install:
        params["SoftwaresToInstall"] = apps.install
    if apps is not None and apps.uninstall:
        params["SoftwaresToUninstall"] = apps.uninstall
    return params


def builder_shape(plan: Plan) -> dict[str, Any]:
    """What the builder bills by (its instance type by the hour, its volume above 200 GB)."""
    builder = plan.request.builder
    return {"root_volume_gb": builder.root_volume_gb, "instance_type": builder.instance_type}


def create_builder(context: Context, plan: Plan) -> BuilderPhase:
    """Create the builder; a retried create adopts the builder this run already created."""
    name = plan.builder_name
    context.records.step_started(plan.run_id, STEP, {"builder_name": name, **builder_shape(plan)})
    with failures_recorded(context, plan, STEP):
        try:
            builder = appstream.call(
                f"CreateImageBuilder {name!r}",
                clients.appstream().create_image_builder,
                **builder_parameters(plan),
            )["ImageBuilder"]
        except Exception as error:
            if not appstream.already_exists(error):
                raise
            builder = appstream.adopt("image builder", appstream.find_builder(name), name, plan.tags)
        context.records.step_created(plan.run_id, STEP, {"name": name, "arn": builder.get("Arn")})
        phase = BuilderPhase(name=name, arn=builder.get("Arn"), state=builder.get("State"))
        return waits.begin(phase, durations.timing_for(plan, "builder", context), context)


def check_builder(context: Context, plan: Plan, phase: BuilderPhase) -> BuilderPhase:
    with failures_recorded(context, plan, STEP):
        builder = appstream.find_builder(phase.name)
        if builder is None:
            raise ImageBuilderFailed(f"{STEP}: image builder {phase.name!r} no longer exists")
        state = str(builder.get("State"))
        if state != "RUNNING" and state not in STARTING:
            raise ImageBuilderFailed(
                f"{STEP}: image builder {phase.name!r} is {state}: {appstream.reason_of(builder)}"
            )
        phase = phase.model_copy(update={"state": state})
        phase = waits.checked(
            phase, state == "RUNNING", context, f"{STEP}: image builder {phase.name!r} ({state})"
        )
        context.records.step_polled(plan.run_id, STEP, phase.polls, state, phase.wait_seconds)
        if phase.done:
            seconds = waits.elapsed(phase)
            resource = {"builder_name": phase.name, "builder_arn": phase.arn, **builder_shape(plan)}
            context.records.step_succeeded(plan.run_id, STEP, resource, seconds)
            context.records.record_phase(plan.run_id, STEP, seconds, resource)
        return phase
