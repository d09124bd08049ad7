"""The copies of the pipelines' images, and of their exported AMIs, in the distribution regions
(`settings.distribution_regions`).

Distribution copies an image under its own name and tags the copy as the run's there, so a
copy is known by its name and its pipeline tag. Retention decides on the image, not on each
copy: an image that a fleet or builder of any region uses is kept, with its copies; an image
retention deletes takes its copies with it. A copy whose image is gone from the stack's
region is deleted unless something in its own region uses it. An exported AMI's copy has the
AMI's name and the export's tags (the AMI distribution gives them): it goes with its AMI, and
where that AMI is gone from the stack's region, it goes too.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from functions.core import appstream, clients, inventory, names, timeutil
from functions.workflows.retention.decisions import Decision, ami_decision

# States of a copy still being made or changed: kept whatever its image's fate.
IN_PROGRESS = ("PENDING", "COPYING", "DELETING")


@dataclass(frozen=True)
class RegionImages:
    """One distribution region's private images, their tags, and what uses them there (by image name)."""

    region: str
    images: list[dict[str, Any]]
    tags: dict[str, dict[str, str]]  # image name -> tags
    users: dict[str, list[str]] = field(default_factory=dict)


def survey(regions: Iterable[str], pipelines: Sequence[str]) -> list[RegionImages]:
    """Each region's images tagged with one of `pipelines`, and the fleets and builders using images there."""
    found = []
    for region in regions:
        client = clients.appstream_in(region)
        images = inventory.listed(
            f"DescribeImages (private) in {region}",
            client.describe_images,
            "Images",
            Type="PRIVATE",
            MaxResults=25,
        )
        tags = {str(image["Name"]): appstream.tags_of(str(image["Arn"]), region) for image in images}
        images = [image for image in images if tags[str(image["Name"])].get(names.TAG_PIPELINE) in pipelines]
        fleets = inventory.listed(f"DescribeFleets in {region}", client.describe_fleets, "Fleets")
        builders = inventory.listed(
            f"DescribeImageBuilders in {region}", client.describe_image_builders, "ImageBuilders"
        )
        by_arn = {str(image["Arn"]): str(image["Name"]) for image in images}
        users: dict[str, list[str]] = {}
        for key, who in inventory.image_users(fleets, builders).items():
            name = by_arn.get(key, key)
            users[name] = sorted({*users.get(name, []), *(f"{user} in {region}" for user in who)})
        found.append(RegionImages(region, images, tags, users))
    return found


def users_elsewhere(surveys: Iterable[RegionImages]) -> dict[str, list[str]]:
    """Image name -> what uses its copies in the distribution regions."""
    users: dict[str, list[str]] = {}
    for region in surveys:
        for name, who in region.users.items():
            users.setdefault(name, []).extend(who)
    return users


def copy_decisions(images: Iterable[Decision], surveys: Iterable[RegionImages], stage: str) -> list[Decision]:
    """A decision for each copy of this stage: its image's, or for a copy whose image is gone, its own."""
    originals = {
        decision.name: decision for decision in images if decision.kind == "image" and not decision.region
    }
    decisions = []
    for region in surveys:
        for image in region.images:
            name, tags = str(image["Name"]), region.tags[str(image["Name"])]
            delete, reason = _copy_fate(image, tags, originals.get(name), region.users.get(name), stage)
            created = image.get("CreatedTime")
            decisions.append(
                Decision(
                    kind="image",
                    name=name,
                    region=region.region,
                    pipeline=tags.get(names.TAG_PIPELINE),
                    created=timeutil.iso(created) if isinstance(created, datetime) else None,
                    delete=delete,
                    reason=reason,
                )
            )
    return decisions


def _copy_fate(
    image: dict[str, Any], tags: dict[str, str], original: Decision | None, used: list[str] | None, stage: str
) -> tuple[bool, str]:
    """Whether the copy goes, and why."""
    state = str(image.get("State"))
    if tags.get(names.TAG_STAGE) != stage:
        return False, f"stage {tags.get(names.TAG_STAGE) or '(none)'}'s copy: left alone"
    if state in IN_PROGRESS:
        return False, f"{state}: still being made or changed"
    if original is not None:
        return original.delete, f"copy of {image['Name']}: {original.reason}"
    if used:
        return False, "in use by " + ", ".join(used) + " (its image is gone)"
    return True, "its image is gone from the stack's region"


def ami_copy_decisions(
    amis: Iterable[Decision], regions: Iterable[str], pipelines: Sequence[str], stage: str
) -> list[Decision]:
    """A decision for each copy of an exported AMI of `pipelines`: its AMI's, by name, or its own."""
    originals = {
        decision.ami_name: decision for decision in amis if decision.ami_name and not decision.region
    }
    decisions = []
    for region in regions:
        for ami in inventory.exported_amis(pipelines, region):
            name = str(ami.get("Name"))
            stage_tag = inventory.tag_value(ami, names.TAG_STAGE)
            original = originals.get(name)
            if stage_tag != stage:
                delete, reason = False, f"stage {stage_tag or '(none)'}'s copy: left alone"
            elif str(ami.get("State")) == "pending":
                delete, reason = False, "pending: still being made"
            elif original is not None:
                delete, reason = original.delete, f"copy of {original.reason}"
            else:
                delete, reason = True, f"{name}: its AMI is gone from the stack's region"
            decisions.append(ami_decision(ami, delete=delete, reason=reason, region=region))
    return decisions
