"""The exported AMI's distribution end to end on the local engine, against moto's EC2: copies in
other regions, launch permissions for other accounts, and a fault at each of its steps."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

import boto3
import pytest
from moto.ec2.exceptions import InvalidAMIAttributeItemValueError
from moto.ec2.models.amis import AmiBackend

from benchmarks.fault_runs import injected
from benchmarks.fault_subjects import EC2_CALL, Crash
from tests.engine.pipeline_support import fast_engine, fast_request, fast_scenario, run_record

REGIONS = ["eu-west-1", "ap-northeast-1"]
ACCOUNTS = ["111122223333", "444455556666"]
RUN_ID_TAG = "image-factory:run-id"


def ami_request() -> dict[str, Any]:
    return fast_request("distribute-ami")


def amis_named(name: str, region: str) -> list[dict[str, Any]]:
    ec2 = boto3.client("ec2", region_name=region)
    return ec2.describe_images(Owners=["self"], Filters=[{"Name": "name", "Values": [name]}])["Images"]


def launch_permissions(ami_id: str, region: str) -> list[str]:
    ec2 = boto3.client("ec2", region_name=region)
    answer = ec2.describe_image_attribute(ImageId=ami_id, Attribute="launchPermission")
    return sorted(entry["UserId"] for entry in answer["LaunchPermissions"])


def snapshots_of_run(run_id: str, region: str) -> list[str]:
    ec2 = boto3.client("ec2", region_name=region)
    found = ec2.describe_snapshots(
        OwnerIds=["self"], Filters=[{"Name": f"tag:{RUN_ID_TAG}", "Values": [run_id]}]
    )
    return [snapshot["SnapshotId"] for snapshot in found["Snapshots"]]


@contextmanager
def copies_ending(state: str, region: str) -> Iterator[None]:
    """EC2's copy of an AMI to `region` ends `state` instead of available."""
    copy_image = AmiBackend.copy_image

    def copy_then_end(self: Any, *args: Any, **kwargs: Any) -> Any:
        ami = copy_image(self, *args, **kwargs)
        if self.region_name == region:
            ami.state = state
        return ami

    with mock.patch.object(AmiBackend, "copy_image", copy_then_end):
        yield


@pytest.mark.usefixtures("deployed_permissions")
def test_an_exported_ami_reaches_its_regions_and_accounts() -> None:
    with fast_engine(fast_scenario()) as engine:
        outcome = engine.run(ami_request())
        assert outcome.status == "SUCCEEDED", outcome.error
        name = outcome.resources["export"]["ami_name"]
        found = {region: amis_named(name, region) for region in [engine.region, *REGIONS]}
        shared = {region: launch_permissions(found[region][0]["ImageId"], region) for region in found}
        copied_snapshots = {region: snapshots_of_run(outcome.run_id, region) for region in REGIONS}
        record = run_record(engine, outcome.run_id)
    assert record["status"] == "SUCCEEDED"
    (exported,) = found[engine.region]
    assert exported["ImageId"] == outcome.resources["export"]["ami_id"]
    for region in REGIONS:
        (copy,) = found[region]
        assert copy["State"] == "available"
        assert {tag["Key"]: tag["Value"] for tag in copy["Tags"]}[RUN_ID_TAG] == outcome.run_id
        assert len(copied_snapshots[region]) == 1  # the copy's snapshot carries the run's tags too
    assert shared == {region: ACCOUNTS for region in [engine.region, *REGIONS]}
    distributed = outcome.resources["distribute_ami"]
    assert distributed["regions"] == [engine.region, *REGIONS]
    assert distributed["copies"] == {region: found[region][0]["ImageId"] for region in REGIONS}
    assert distributed["shared_with"] == ACCOUNTS


@pytest.mark.usefixtures("deployed_permissions")
def test_a_copy_failed_in_one_region_fails_the_run_naming_it_and_leaves_no_copy_or_snapshot() -> None:
    with copies_ending("failed", "ap-northeast-1"), fast_engine(fast_scenario()) as engine:
        outcome = engine.run(ami_request())
        name = outcome.resources["export"]["ami_name"]
        left = {region: amis_named(name, region) for region in REGIONS}
        snapshots = {region: snapshots_of_run(outcome.run_id, region) for region in REGIONS}
        exported = amis_named(name, engine.region)
        record = run_record(engine, outcome.run_id)
    assert outcome.status == "FAILED"
    assert outcome.error is not None and outcome.error.step == "distribute_ami"
    assert outcome.error.code == "DistributionFailed" and "ap-northeast-1" in outcome.error.message
    assert record["status"] == "FAILED"
    assert left == {region: [] for region in REGIONS}
    assert snapshots == {region: [] for region in REGIONS}
    assert len(exported) == 1, "the exported AMI stays, as after any failed run"
    actions = outcome.resources["cleanup"]["actions"]
    assert any("deregistered copy" in action and "eu-west-1" in action for action in actions), actions


@pytest.mark.usefixtures("deployed_permissions")
def test_a_share_refused_fails_the_run_and_no_account_keeps_a_launch_permission() -> None:
    modify = AmiBackend.modify_image_attribute

    def refused_in_one_region(self: Any, ami_id: str, **changes: Any) -> Any:
        if self.region_name == "ap-northeast-1" and changes["launch_permissions_to_add"]:
            raise InvalidAMIAttributeItemValueError("userId", ACCOUNTS[0])
        return modify(self, ami_id, **changes)

    with fast_engine(fast_scenario()) as engine:
        with mock.patch.object(AmiBackend, "modify_image_attribute", refused_in_one_region):
            outcome = engine.run(ami_request())
        name = outcome.resources["export"]["ami_name"]
        (exported,) = amis_named(name, engine.region)
        shared = launch_permissions(exported["ImageId"], engine.region)
        left = {region: amis_named(name, region) for region in REGIONS}
    assert outcome.status == "FAILED"
    assert outcome.error is not None and outcome.error.step == "distribute_ami"
    assert shared == []
    assert left == {region: [] for region in REGIONS}


@pytest.mark.usefixtures("deployed_permissions")
def test_an_ami_copy_retried_after_a_crash_makes_no_twin() -> None:
    crash = Crash("CopyImage", *EC2_CALL, "CopyAmi")
    with fast_engine(fast_scenario()) as engine, injected(crash) as injector:
        outcome = engine.run(ami_request())
        name = outcome.resources["export"]["ami_name"]
        found = {region: amis_named(name, region) for region in REGIONS}
    assert injector is not None and injector.crashed
    assert outcome.status == "SUCCEEDED", outcome.error
    assert injector.created == len(REGIONS)
    assert {region: len(amis) for region, amis in found.items()} == {region: 1 for region in REGIONS}


def test_an_ami_name_taken_in_a_copy_region_fails_the_preflight_naming_it() -> None:
    request = ami_request()
    request["export"]["ami_name"] = "golden-ami"
    with fast_engine(fast_scenario()) as engine:
        other = boto3.client("ec2", region_name="eu-west-1").register_image(Name="golden-ami")["ImageId"]
        outcome = engine.run(request)
        created = outcome.resources.get("source")
        still_there = amis_named("golden-ami", "eu-west-1")
    assert outcome.status == "FAILED"
    assert outcome.error is not None and outcome.error.step == "preflight"
    assert outcome.error.code == "ResourceNameConflict"
    assert "eu-west-1" in outcome.error.message and other in outcome.error.message
    assert created is None, "nothing is made before the preflight passes"
    assert [ami["ImageId"] for ami in still_there] == [other]
