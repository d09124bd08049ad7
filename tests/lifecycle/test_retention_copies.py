"""Retention of images copied to the distribution regions: kept while used anywhere, deleted with them."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from benchmarks.fast import FAST_SETTINGS
from functions.core import names
from image_factory.local_engine import resources
from image_factory.local_engine.engine import LocalEngine
from tests.lifecycle.fleet_support import (
    copy_image,
    fleet_scenario,
    make_fleet,
    make_images,
    run_with_output,
)
from tests.lifecycle.test_retention import make_ami

pytestmark = pytest.mark.slow
ELSEWHERE = "eu-west-1"
WEB = {names.TAG_PIPELINE: "web", names.TAG_STAGE: resources.STAGE}
REQUEST = {
    "name": "nightly-retention",
    "pipelines": ["web"],
    "keep_images": 2,
    "amis": False,
    "reap_builders": False,
    "dry_run": False,
}


def engine(faults: list[dict[str, Any]] | None = None) -> LocalEngine:
    settings = {**FAST_SETTINGS, names.ENV_DISTRIBUTION_REGIONS: ELSEWHERE}
    return LocalEngine(fleet_scenario(faults), workflow="retention", settings=settings)


def copied(engine: LocalEngine, name: str) -> None:
    """The image's copy in the other region, tagged as distribution tags it there."""
    copy_image(engine, name, ELSEWHERE)
    (image,) = engine.emulator.call("DescribeImages", {"Names": [name]}, ELSEWHERE)["Images"]
    engine.emulator.call("TagResource", {"ResourceArn": image["Arn"], "Tags": WEB}, ELSEWHERE)


def seed(engine: LocalEngine) -> None:
    """Four images of pipeline web, each copied to eu-west-1, where a fleet uses the oldest; and a
    copy there whose image is gone."""
    for name in ("web-0", "web-1", "web-2", "web-3", "web-4"):
        make_images(engine, name, tags=WEB)
        copied(engine, name)
    engine.emulator.call("DeleteImage", {"Name": "web-0"})
    make_fleet(engine, "web-fleet", "web-1", region=ELSEWHERE)


def names_in(engine: LocalEngine, region: str | None = None) -> list[str]:
    images = engine.emulator.call("DescribeImages", {"Type": "PRIVATE"}, region)["Images"]
    return sorted(str(image["Name"]) for image in images if image["State"] != "DELETING")


@pytest.mark.usefixtures("deployed_permissions")
def test_an_image_goes_with_its_copies_and_a_copy_in_use_keeps_its_image() -> None:
    with engine() as local:
        seed(local)
        outcome, output = run_with_output(local, REQUEST)
        here, there = names_in(local), names_in(local, ELSEWHERE)

    assert outcome.status == "SUCCEEDED", outcome.error
    # web-1 is older than the newest two, but its copy streams in eu-west-1; web-2 goes everywhere.
    assert here == ["web-1", "web-3", "web-4"]
    assert there == ["web-1", "web-3", "web-4"]
    assert output is not None
    decisions = {(item["name"], item.get("region")): item for item in output["images"]}
    assert decisions[("web-1", None)]["reason"] == f"in use by fleet web-fleet in {ELSEWHERE}"
    assert decisions[("web-2", ELSEWHERE)]["action"] == "delete"
    assert decisions[("web-2", ELSEWHERE)]["reason"].startswith("copy of web-2: older than")
    assert decisions[("web-0", ELSEWHERE)]["reason"] == "its image is gone from the stack's region"


def test_a_copy_that_cannot_be_deleted_fails_the_run_naming_its_region() -> None:
    faults = [
        {
            "operation": "DeleteImage",
            "error": "OperationNotPermittedException",
            "region": ELSEWHERE,
            "times": None,
        }
    ]
    with engine(faults) as local:
        seed(local)
        outcome, _ = run_with_output(local, REQUEST)
        here, there = names_in(local), names_in(local, ELSEWHERE)

    assert outcome.status == "FAILED"
    assert outcome.error is not None
    assert outcome.error.code == "RetentionIncomplete"
    assert f"image web-2 in {ELSEWHERE}" in outcome.error.message
    assert f"image web-0 in {ELSEWHERE}" in outcome.error.message
    # The stack's region was cleaned up all the same; the copies wait for the next run.
    assert here == ["web-1", "web-3", "web-4"]
    assert there == ["web-0", "web-1", "web-2", "web-3", "web-4"]


def ami_ids(region: str) -> dict[str, str]:
    images = boto3.client("ec2", region_name=region).describe_images(Owners=["self"])["Images"]
    return {str(image["Name"]): str(image["ImageId"]) for image in images}


def snapshots(region: str, ami_name: str | None = None) -> set[str]:
    """The snapshots in `region`, or those of its AMI named `ami_name`."""
    ec2 = boto3.client("ec2", region_name=region)
    if ami_name is None:
        return {s["SnapshotId"] for s in ec2.describe_snapshots(OwnerIds=["self"])["Snapshots"]}
    (ami,) = ec2.describe_images(Owners=["self"], Filters=[{"Name": "name", "Values": [ami_name]}])["Images"]
    return {mapping["Ebs"]["SnapshotId"] for mapping in ami["BlockDeviceMappings"]}


@pytest.mark.usefixtures("deployed_permissions")
def test_an_exported_ami_goes_with_its_copies_and_their_snapshots() -> None:
    request = {**REQUEST, "keep_images": 5, "amis": True, "keep_amis": 1}
    with engine() as local:
        for index in (1, 2):
            make_ami(local, f"web-ami-{index}", WEB)
            make_ami(local, f"web-ami-{index}", WEB, region=ELSEWHERE)
            local.time.sleep(60)  # the second is the newer
        make_ami(local, "web-ami-0", WEB, region=ELSEWHERE)  # its AMI is gone from the stack's region
        removed = snapshots(ELSEWHERE, "web-ami-1") | snapshots(ELSEWHERE, "web-ami-0")
        outcome, output = run_with_output(local, request)
        here, there = ami_ids(local.region), ami_ids(ELSEWHERE)
        snapshots_there = snapshots(ELSEWHERE)

    assert outcome.status == "SUCCEEDED", outcome.error
    assert sorted(here) == ["web-ami-2"]
    assert sorted(there) == ["web-ami-2"]
    assert removed and not removed & snapshots_there, "each deregistered copy's snapshot is deleted with it"
    assert output is not None
    copies = {item["ami_name"]: item for item in output["amis"] if item.get("region") == ELSEWHERE}
    assert copies["web-ami-1"]["action"] == "delete"
    assert copies["web-ami-1"]["reason"].startswith("copy of web-ami-1: older than")
    assert copies["web-ami-0"]["reason"] == "web-ami-0: its AMI is gone from the stack's region"
    assert copies["web-ami-2"]["action"] == "keep"
