"""Cleanup of a distribution that did not finish: the run's shares removed, its copies deleted.

A run that failed or was cancelled before its distribution ended leaves no copy in another region
and no account able to use its images; the image itself stays, as after any failed run. A
distribution that ended (the `distribute` step SUCCEEDED) is kept, whatever fails after it.
Shares go first: no source says whether AppStream deletes a shared image (docs/emulator-fidelity.md).
"""

from __future__ import annotations

from typing import Any

from functions.core import appstream, clients, names
from functions.core.context import Context
from functions.workflows.image_pipeline import distribution
from functions.workflows.image_pipeline.changes import ask, note
from functions.workflows.image_pipeline.plan import Plan

STEP = distribution.STEP
COPY_BUSY = {"PENDING", "COPYING", "DELETING"}


def settle(context: Context, plan: Plan, actions: list[str]) -> bool:
    """One step toward the unfinished distribution being undone; True once nothing is left to do."""
    settings = plan.request.distribute
    record = context.records.get_step(plan.run_id, STEP) if settings is not None else None
    if settings is None or record is None or record.get("status") == "SUCCEEDED":
        return True
    created = record.get("created") if isinstance(record.get("created"), dict) else {}
    copied_to = set((created or {}).get("regions") or [])
    settled = True
    for region in (distribution.home_region(), *settings.copy_to_regions):
        image = appstream.find_image(plan.image_name, region)
        if image is None or not _ours(plan, image, region, copied_to):
            continue
        _unshare(plan, region, settings.share_with_accounts, actions)
        if region == distribution.home_region():
            continue  # the image itself stays, as after any failed run
        settled = _delete_copy(plan, image, region, actions) and settled
    return settled


def _ours(plan: Plan, image: dict[str, Any], region: str, copied_to: set[str]) -> bool:
    tags = appstream.tags_of(str(image["Arn"]), region)
    # A copy not tagged yet is the run's where its records say it copied: names hold the run id.
    return names.same_run(tags, plan.tags) if tags else region in copied_to


def _unshare(plan: Plan, region: str, accounts: list[str], actions: list[str]) -> None:
    for account in accounts:
        answer = ask(
            f"DeleteImagePermissions {plan.image_name!r} in {region} for account {account}",
            clients.appstream_in(region).delete_image_permissions,
            Name=plan.image_name,
            SharedAccountId=account,
        )
        if answer == "accepted":
            note(actions, f"stopped sharing image {plan.image_name!r} in {region} with account {account}")


def _delete_copy(plan: Plan, image: dict[str, Any], region: str, actions: list[str]) -> bool:
    if str(image.get("State")) in COPY_BUSY:
        return False  # a copy under way cannot be deleted yet: look again later
    answer = ask(
        f"DeleteImage {plan.image_name!r} in {region}",
        clients.appstream_in(region).delete_image,
        Name=plan.image_name,
    )
    if answer == "accepted":
        note(actions, f"deleted copy {plan.image_name!r} in {region}")
    return answer == "gone"
