"""The distribution, after the snapshot: the new image copied to other regions (CopyImage), each copy
AVAILABLE there, then the image and its copies shared with other accounts (UpdateImagePermissions).

A copy has the image's name in every region, so a retried copy finds the one a first attempt
made instead of making a second. AppStream does not copy an image's tags (CopyImage), so each
copy is given the image's tags the moment it exists: they are how a retry and cleanup know the
copy is this run's, and what the task role's conditions on sharing and deleting read.
"""

from __future__ import annotations

from functions.core import appstream, clients, names, waits
from functions.core.context import Context
from functions.core.errors import DistributionFailed, ResourceNameConflict
from functions.core.steps import failures_recorded
from functions.workflows.image_pipeline import durations
from functions.workflows.image_pipeline.phases import Copy, DistributePhase
from functions.workflows.image_pipeline.plan import Plan

STEP = "distribute"
PERMISSIONS = {"allowFleet": True, "allowImageBuilder": True}


def copy_image(context: Context, plan: Plan) -> DistributePhase:
    settings = plan.request.distribute
    assert settings is not None, "distributed only when the request asks"
    regions = settings.copy_to_regions
    summary = {"image_name": plan.image_name, "regions": regions, "accounts": settings.share_with_accounts}
    context.records.step_started(plan.run_id, STEP, summary)
    with failures_recorded(context, plan, STEP):
        # Written before the first copy: cleanup's proof that an untagged image of the run's name in
        # one of these regions is this run's copy (a crash came between CopyImage and its tags).
        context.records.step_created(plan.run_id, STEP, {"image_name": plan.image_name, "regions": regions})
        tags = _image_tags(plan)
        for region in regions:
            _copy_to(plan, region, tags)
        phase = DistributePhase(image_name=plan.image_name, copies=[Copy(region=r) for r in regions])
        return waits.begin(phase, durations.timing_for(plan, "distribute", context), context)


def check_copies(context: Context, plan: Plan, phase: DistributePhase) -> DistributePhase:
    with failures_recorded(context, plan, STEP):
        copies = [Copy(region=copy.region, state=_copy_state(plan, copy.region)) for copy in phase.copies]
        observed = ", ".join(f"{copy.region} {copy.state}" for copy in copies)
        done = all(copy.state == "AVAILABLE" for copy in copies)
        phase = phase.model_copy(update={"copies": copies})
        phase = waits.checked(phase, done, context, f"{STEP}: copies of {plan.image_name!r} ({observed})")
        context.records.step_polled(plan.run_id, STEP, phase.polls, observed, phase.wait_seconds)
        return phase


def share_image(context: Context, plan: Plan, phase: DistributePhase) -> DistributePhase:
    """Share the image, and each copy in its region, with every account; the step ends here."""
    settings = plan.request.distribute
    assert settings is not None, "distributed only when the request asks"
    if phase.started_at is None:  # no copies: the step starts with the sharing
        summary = {"image_name": plan.image_name, "regions": [], "accounts": settings.share_with_accounts}
        context.records.step_started(plan.run_id, STEP, summary)
        phase = waits.begin(phase, waits.Timing(0.0, waits.FALLBACK_CEILING), context, check_first=True)
    with failures_recorded(context, plan, STEP):
        for region in (home_region(), *(copy.region for copy in phase.copies)):
            for account in settings.share_with_accounts:
                appstream.call(
                    f"UpdateImagePermissions {plan.image_name!r} in {region} for account {account}",
                    clients.appstream_in(region).update_image_permissions,
                    Name=plan.image_name,
                    SharedAccountId=account,
                    ImagePermissions=PERMISSIONS,
                )
        seconds = waits.elapsed(phase)
        resource = {
            "image_name": plan.image_name,
            "regions": [home_region(), *(copy.region for copy in phase.copies)],
            "shared_with": list(settings.share_with_accounts),
        }
        context.records.step_succeeded(plan.run_id, STEP, resource, seconds)
        if phase.copies:  # only copying is a duration worth learning from
            context.records.record_phase(plan.run_id, STEP, seconds, resource)
        return phase.model_copy(update={"shared_with": list(settings.share_with_accounts), "done": True})


def home_region() -> str:
    """The region the run's functions (and its image) are in."""
    return str(clients.appstream().meta.region_name)


def _image_tags(plan: Plan) -> dict[str, str]:
    """The new image's own tags (the snapshot's, the run's, its volume size), for its copies."""
    image = appstream.find_image(plan.image_name)
    own = appstream.tags_of(str(image["Arn"])) if image is not None and image.get("Arn") else {}
    return {**own, **plan.tags}


def _copy_to(plan: Plan, region: str, tags: dict[str, str]) -> None:
    name = plan.image_name
    copy = appstream.find_image(name, region)
    if copy is None:
        description = plan.request.snapshot.description
        try:
            appstream.call(
                f"CopyImage {name!r} to {region}",
                clients.appstream().copy_image,
                SourceImageName=name,
                DestinationImageName=name,
                DestinationRegion=region,
                **({"DestinationImageDescription": description} if description else {}),
            )
        except Exception as error:
            if not appstream.already_exists(error):
                raise
        copy = appstream.find_image(name, region)
        if copy is None:
            raise DistributionFailed(
                f"{STEP}: the copy of {name!r} to {region} was made but is not listed there"
            )
    found = appstream.tags_of(str(copy["Arn"]), region)
    if found and not names.same_run(found, plan.tags):
        raise ResourceNameConflict(
            f"{STEP}: an image named {name!r} already exists in {region} and is not this run's"
        )
    if not names.same_run(found, plan.tags):
        appstream.call(
            f"TagResource {copy['Arn']!r}",
            clients.appstream_in(region).tag_resource,
            ResourceArn=str(copy["Arn"]),
            Tags=tags,
        )


def _copy_state(plan: Plan, region: str) -> str:
    copy = appstream.find_image(plan.image_name, region)
    if copy is None:
        raise DistributionFailed(f"{STEP}: the copy of {plan.image_name!r} in {region} is gone")
    state = str(copy.get("State"))
    if state == "FAILED":
        raise DistributionFailed(
            f"{STEP}: the copy of {plan.image_name!r} to {region} FAILED: {appstream.reason_of(copy)}"
        )
    return state
