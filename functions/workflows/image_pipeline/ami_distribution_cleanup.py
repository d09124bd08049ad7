"""Cleanup of an AMI distribution that did not finish: the run's launch permissions removed, its
copies deregistered and their snapshots deleted (deregistering an AMI leaves its snapshots, which
bill on their own: EC2 User Guide, "Deregister an AMI").

As with the image's distribution (distribution_cleanup), the exported AMI itself stays, and a
distribution that ended (the `distribute_ami` step SUCCEEDED) is kept, whatever fails after it.
"""

from __future__ import annotations

from typing import Any

from functions.core import clients, inventory, names
from functions.core.context import Context
from functions.core.errors import AmiRequestRejected
from functions.workflows.image_pipeline import ami_distribution
from functions.workflows.image_pipeline.changes import note
from functions.workflows.image_pipeline.plan import Plan

STEP = ami_distribution.STEP


def settle(context: Context, plan: Plan, actions: list[str]) -> bool:
    """One step toward the unfinished AMI distribution being undone; True once nothing is left to do."""
    settings = plan.request.distribute
    if settings is None or not settings.exported_ami or plan.ami_name is None:
        return True
    record = context.records.get_step(plan.run_id, STEP)
    if record is None or record.get("status") == "SUCCEEDED":
        return True
    created = record.get("created") if isinstance(record.get("created"), dict) else {}
    copied_to = set((created or {}).get("regions") or [])
    settled = True
    for region in (ami_distribution.home_region(), *settings.copy_to_regions):
        ami = _unsettled(ami_distribution.find_ami(plan.ami_name, region), plan, region, copied_to)
        if ami is None:
            continue
        if region == ami_distribution.home_region():  # the exported AMI stays, as after any failed run
            _unshare(ami, region, settings.share_with_accounts, actions)
        else:  # a copy goes, and its launch permissions with it
            settled = _deregister(ami, region, actions) and settled
    return settled


def _unsettled(
    ami: dict[str, Any] | None, plan: Plan, region: str, copied_to: set[str]
) -> dict[str, Any] | None:
    if ami is None:
        return None
    tags = inventory.tags_of(ami)
    # An AMI of the run's name without the run's tags is the run's where its records say it copied.
    ours = names.same_run(tags, plan.tags) if any(key in tags for key in plan.tags) else region in copied_to
    return ami if ours else None


def _unshare(ami: dict[str, Any], region: str, accounts: list[str], actions: list[str]) -> None:
    if not accounts:
        return
    ami_id = str(ami["ImageId"])
    try:
        inventory.ec2_call(
            f"ModifyImageAttribute {ami_id} in {region} (remove launch permissions)",
            clients.ec2_in(region).modify_image_attribute,
            ImageId=ami_id,
            LaunchPermission={"Remove": [{"UserId": account} for account in accounts]},
        )
    except AmiRequestRejected as error:  # named for a person; a transient error is tried again
        note(actions, f"could not stop sharing AMI {ami_id} in {region}: {error}")
        return
    note(actions, f"stopped sharing AMI {ami_id} in {region} with {', '.join(accounts)}")


def _deregister(ami: dict[str, Any], region: str, actions: list[str]) -> bool:
    """Deregister a copy that is no longer on its way, then delete its snapshots."""
    if str(ami.get("State")) in ami_distribution.COPYING:
        return False  # a copy under way cannot be deregistered yet: look again later
    ami_id = str(ami["ImageId"])
    inventory.deregister_ami(ami_id, inventory.snapshots_of(ami), region)
    note(actions, f"deregistered copy {ami_id} of AMI {ami.get('Name')!r} in {region}, and its snapshots")
    return True
