"""The exported AMI's distribution, after the export: the AMI copied to the request's regions (EC2
CopyImage, started in each destination region), each copy available there, then the AMI and its
copies shared with the request's accounts (ModifyImageAttribute, launch permission).

An AMI's name is unique within its account and region (CreateExportImageTask's AmiName, botocore's
model), and a copy is named as the AMI: a retried copy finds the one a first attempt made, and the
ClientToken keeps EC2 itself from making a second. EC2 copies no tags unless asked; CopyImage's
TagSpecifications give the copy and its snapshots the export's tags at once: they are how a retry
and cleanup know the copy is this run's, and what the task role's conditions read.
"""

from __future__ import annotations

from typing import Any

from functions.core import clients, inventory, names, waits
from functions.core.context import Context
from functions.core.errors import AmiRequestRejected, DistributionFailed, ResourceNameConflict
from functions.core.steps import failures_recorded
from functions.workflows.image_pipeline import durations
from functions.workflows.image_pipeline.phases import AmiCopy, AmiDistributePhase, ExportPhase
from functions.workflows.image_pipeline.plan import Plan
from functions.workflows.image_pipeline.request import DistributeSettings

STEP = "distribute_ami"
# EC2's image states (DescribeImages): a copy on its way, and a copy that is usable.
COPYING = {"pending", "transient"}
AVAILABLE = "available"


def copy_ami(context: Context, plan: Plan, export: ExportPhase) -> AmiDistributePhase:
    settings = _settings(plan)
    regions = settings.copy_to_regions
    context.records.step_started(plan.run_id, STEP, _summary(plan, export, regions))
    with failures_recorded(context, plan, STEP):
        # Written before the first copy: cleanup's proof that an AMI of this name in one of these
        # regions is this run's even before its tags can be read.
        context.records.step_created(plan.run_id, STEP, {"ami_name": plan.ami_name, "regions": regions})
        copies = [AmiCopy(region=region, ami_id=_copy_to(plan, export, region)) for region in regions]
        phase = AmiDistributePhase(ami_id=export.ami_id, copies=copies)
        return waits.begin(phase, durations.timing_for(plan, "distribute_ami", context), context)


def check_ami_copies(context: Context, plan: Plan, phase: AmiDistributePhase) -> AmiDistributePhase:
    with failures_recorded(context, plan, STEP):
        copies = [copy.model_copy(update={"state": _copy_state(plan, copy)}) for copy in phase.copies]
        observed = ", ".join(f"{copy.region} {copy.state}" for copy in copies)
        done = all(copy.state == AVAILABLE for copy in copies)
        phase = phase.model_copy(update={"copies": copies})
        phase = waits.checked(phase, done, context, f"{STEP}: copies of AMI {plan.ami_name!r} ({observed})")
        context.records.step_polled(plan.run_id, STEP, phase.polls, observed, phase.wait_seconds)
        return phase


def share_ami(
    context: Context, plan: Plan, export: ExportPhase, phase: AmiDistributePhase
) -> AmiDistributePhase:
    """Give every account launch permission on the AMI and each copy in its region; the step ends here.

    The launch permission alone shares an AMI: that its snapshots need no sharing of their own is
    an assumption (docs/emulator-fidelity.md, "The export's AMI in EC2")."""
    settings = _settings(plan)
    if phase.started_at is None:  # no copies: the step starts with the sharing
        context.records.step_started(plan.run_id, STEP, _summary(plan, export, []))
        phase = phase.model_copy(update={"ami_id": export.ami_id})
        phase = waits.begin(phase, waits.Timing(0.0, waits.FALLBACK_CEILING), context, check_first=True)
    accounts = settings.share_with_accounts
    with failures_recorded(context, plan, STEP):
        copies = _copy_ids(phase)
        reached = {home_region(): str(phase.ami_id), **copies}
        for region, ami_id in reached.items() if accounts else ():
            inventory.ec2_call(
                f"ModifyImageAttribute {ami_id} in {region} (launch permission for {', '.join(accounts)})",
                clients.ec2_in(region).modify_image_attribute,
                ImageId=ami_id,
                LaunchPermission={"Add": [{"UserId": account} for account in accounts]},
            )
        seconds = waits.elapsed(phase)
        resource = {
            "ami_name": plan.ami_name,
            "ami_id": phase.ami_id,
            "regions": list(reached),
            "copies": copies,
            "shared_with": list(accounts),
        }
        context.records.step_succeeded(plan.run_id, STEP, resource, seconds)
        if phase.copies:  # only copying is a duration worth learning from
            context.records.record_phase(plan.run_id, STEP, seconds, resource)
        return phase.model_copy(update={"shared_with": list(accounts), "done": True})


def home_region() -> str:
    """The region the run's functions (and its exported AMI) are in; read without an AppStream client."""
    return str(clients.own_region())


def find_ami(name: str, region: str) -> dict[str, Any] | None:
    """The account's AMI named `name` in `region` (names are unique there), or None."""
    found = inventory.ec2_call(
        f"DescribeImages (AMI name {name!r} in {region})",
        clients.ec2_in(region).describe_images,
        Owners=["self"],
        Filters=[{"Name": "name", "Values": [name]}],  # a filter EC2 documents (DescribeImages)
    ).get("Images", [])
    return found[0] if found else None


def _settings(plan: Plan) -> DistributeSettings:
    settings = plan.request.distribute
    assert settings is not None and settings.exported_ami, "distributed only when the request asks"
    return settings


def _summary(plan: Plan, export: ExportPhase, regions: list[str]) -> dict[str, Any]:
    accounts = _settings(plan).share_with_accounts
    return {"ami_name": plan.ami_name, "ami_id": export.ami_id, "regions": regions, "accounts": accounts}


def _copy_ids(phase: AmiDistributePhase) -> dict[str, str]:
    return {copy.region: str(copy.ami_id) for copy in phase.copies}


def _copy_to(plan: Plan, export: ExportPhase, region: str) -> str:
    assert plan.ami_name is not None and plan.request.export is not None, "the export names its AMI"
    copy = find_ami(plan.ami_name, region)
    if copy is not None:
        if not names.same_run(inventory.tags_of(copy), plan.tags):
            raise ResourceNameConflict(
                f"{STEP}: an AMI named {plan.ami_name!r} ({copy.get('ImageId')}) already exists in {region}"
                " and is not this run's"
            )
        return str(copy["ImageId"])
    tags = [{"Key": key, "Value": value} for key, value in {**plan.request.export.tags, **plan.tags}.items()]
    description = plan.request.export.description
    made = inventory.ec2_call(
        f"CopyImage {export.ami_id} to {region}",
        clients.ec2_in(region).copy_image,
        SourceImageId=str(export.ami_id),
        SourceRegion=home_region(),
        Name=plan.ami_name,
        ClientToken=f"{plan.run_id}-{region}"[:64],
        TagSpecifications=[{"ResourceType": kind, "Tags": tags} for kind in ("image", "snapshot")],
        **({"Description": description} if description else {}),
    )
    return str(made["ImageId"])


def _copy_state(plan: Plan, copy: AmiCopy) -> str:
    try:
        found = inventory.ec2_call(
            f"DescribeImages {copy.ami_id} in {copy.region}",
            clients.ec2_in(copy.region).describe_images,
            ImageIds=[str(copy.ami_id)],
        ).get("Images", [])
    except AmiRequestRejected as error:
        if not str(inventory.ec2_code(error)).startswith("InvalidAMIID"):
            raise
        found = []
    if not found:
        raise DistributionFailed(
            f"{STEP}: the copy {copy.ami_id} of AMI {plan.ami_name!r} in {copy.region} is gone"
        )
    state = str(found[0].get("State"))
    if state != AVAILABLE and state not in COPYING:
        reason = (found[0].get("StateReason") or {}).get("Message") or "no reason given"
        raise DistributionFailed(
            f"{STEP}: the copy {copy.ami_id} of AMI {plan.ami_name!r} to {copy.region} is {state}: {reason}"
        )
    return state
