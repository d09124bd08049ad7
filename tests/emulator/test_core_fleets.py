"""Fleets, app block builders and tags."""

from __future__ import annotations

from typing import Any

import pytest

from appstream_emulator import AppStreamError, Emulator, ManualClock, Scenario

BASE = "AppStream-WinServer2022-09-08-2025"
OTHER = "AppStream-Graphics-G5-WinServer2022-09-08-2025"


def make(**scenario: Any) -> tuple[Emulator, ManualClock]:
    clock = ManualClock()
    return Emulator(Scenario.model_validate(scenario), clock), clock


def create_fleet(emulator: Emulator, name: str = "fleet", **extra: Any) -> dict[str, Any]:
    params = {"Name": name, "ImageName": BASE, "InstanceType": "stream.standard.large", **extra}
    return emulator.call("CreateFleet", params)["Fleet"]


def fleet(emulator: Emulator, name: str = "fleet") -> dict[str, Any]:
    return emulator.call("DescribeFleets", {"Names": [name]})["Fleets"][0]


def error_of(emulator: Emulator, operation: str, params: dict[str, Any]) -> str:
    with pytest.raises(AppStreamError) as raised:
        emulator.call(operation, params)
    return raised.value.code


def test_fleet_lifecycle() -> None:
    emulator, clock = make()
    created = create_fleet(
        emulator, ComputeCapacity={"DesiredInstances": 2}, RootVolumeConfig={"VolumeSizeInGb": 300}
    )
    assert created["State"] == "STOPPED" and created["RootVolumeConfig"] == {"VolumeSizeInGb": 300}
    assert created["ComputeCapacityStatus"]["Desired"] == 2
    assert emulator.call("StartFleet", {"Name": "fleet"}) == {}
    assert fleet(emulator)["State"] == "STARTING"
    assert error_of(emulator, "DeleteFleet", {"Name": "fleet"}) == "ResourceInUseException"
    clock.advance(900)
    assert fleet(emulator)["State"] == "RUNNING"
    assert fleet(emulator)["ComputeCapacityStatus"]["Running"] == 2
    assert error_of(emulator, "StartFleet", {"Name": "fleet"}) == "OperationNotPermittedException"
    emulator.call("StopFleet", {"Name": "fleet"})
    assert fleet(emulator)["State"] == "STOPPING"
    clock.advance(300)
    assert fleet(emulator)["State"] == "STOPPED"
    emulator.call("DeleteFleet", {"Name": "fleet"})
    assert error_of(emulator, "DescribeFleets", {"Names": ["fleet"]}) == "ResourceNotFoundException"


def test_update_fleet_removes_volume_configuration() -> None:
    emulator, _ = make()
    create_fleet(
        emulator, RootVolumeConfig={"VolumeSizeInGb": 300}, IamRoleArn="arn:aws:iam::123456789012:role/F"
    )
    updated = emulator.call(
        "UpdateFleet", {"Name": "fleet", "AttributesToDelete": ["VOLUME_CONFIGURATION", "IAM_ROLE_ARN"]}
    )
    assert "RootVolumeConfig" not in updated["Fleet"] and "IamRoleArn" not in updated["Fleet"]
    updated = emulator.call("UpdateFleet", {"Name": "fleet", "RootVolumeConfig": {"VolumeSizeInGb": 450}})
    assert updated["Fleet"]["RootVolumeConfig"] == {"VolumeSizeInGb": 450}
    both = {
        "Name": "fleet",
        "RootVolumeConfig": {"VolumeSizeInGb": 450},
        "AttributesToDelete": ["VOLUME_CONFIGURATION"],
    }
    assert error_of(emulator, "UpdateFleet", both) == "InvalidParameterCombinationException"
    assert error_of(
        emulator, "UpdateFleet", {"Name": "fleet", "RootVolumeConfig": {"VolumeSizeInGb": 100}}
    ) == ("InvalidParameterCombinationException")


def test_running_fleet_accepts_only_some_changes() -> None:
    emulator, clock = make()
    create_fleet(emulator)
    emulator.call("StartFleet", {"Name": "fleet"})
    assert (
        error_of(emulator, "UpdateFleet", {"Name": "fleet", "DisplayName": "x"})
        == "ConcurrentModificationException"
    )
    clock.advance(900)
    changed = emulator.call("UpdateFleet", {"Name": "fleet", "ImageName": OTHER, "DisplayName": "New"})[
        "Fleet"
    ]
    assert changed["ImageName"] == OTHER and changed["DisplayName"] == "New"
    assert error_of(
        emulator, "UpdateFleet", {"Name": "fleet", "AttributesToDelete": ["VOLUME_CONFIGURATION"]}
    ) == ("OperationNotPermittedException")
    assert error_of(emulator, "UpdateFleet", {"Name": "fleet", "InstanceType": "stream.standard.medium"}) == (
        "OperationNotPermittedException"
    )


def test_fleet_image_rules_and_quota() -> None:
    emulator, _ = make(quotas={"fleets": 1})
    both = {
        "Name": "f",
        "ImageName": BASE,
        "ImageArn": "arn:aws:appstream:us-east-1::image/x",
        "InstanceType": "stream.standard.large",
    }
    assert error_of(emulator, "CreateFleet", both) == "InvalidParameterCombinationException"
    assert error_of(
        emulator, "CreateFleet", {"Name": "f", "ImageName": "nope", "InstanceType": "stream.standard.large"}
    ) == ("ResourceNotFoundException")
    create_fleet(emulator)
    assert error_of(
        emulator, "CreateFleet", {"Name": "fleet", "ImageName": BASE, "InstanceType": "stream.standard.large"}
    ) == ("ResourceAlreadyExistsException")
    assert error_of(
        emulator, "CreateFleet", {"Name": "g", "ImageName": BASE, "InstanceType": "stream.standard.large"}
    ) == ("LimitExceededException")
    assert error_of(emulator, "DeleteImage", {"Name": BASE}) == "OperationNotPermittedException"


def test_image_used_by_fleet_cannot_be_deleted() -> None:
    emulator, clock = make(durations={"import": 1})
    params = {
        "Name": "golden",
        "SourceAmiId": "ami-0123456789abcdef0",
        "IamRoleArn": "arn:aws:iam::123456789012:role/R",
    }
    emulator.call("CreateImportedImage", params)
    clock.advance(1)
    create_fleet(emulator, ImageName="golden")
    assert error_of(emulator, "DeleteImage", {"Name": "golden"}) == "ResourceInUseException"


def test_app_block_builder_lifecycle() -> None:
    emulator, clock = make()
    params = {
        "Name": "abb",
        "Platform": "WINDOWS_SERVER_2019",
        "InstanceType": "stream.standard.large",
        "VpcConfig": {"SubnetIds": ["subnet-1"], "SecurityGroupIds": ["sg-1"]},
    }
    created = emulator.call("CreateAppBlockBuilder", params)["AppBlockBuilder"]
    assert created["State"] == "STOPPED" and created["Arn"].endswith(":app-block-builder/abb")
    assert error_of(emulator, "CreateAppBlockBuilder", params) == "ResourceAlreadyExistsException"
    assert error_of(
        emulator, "CreateAppBlockBuilder", {**params, "Name": "x", "InstanceType": "stream.memory.large"}
    ) == ("InvalidParameterCombinationException")
    assert emulator.call("StartAppBlockBuilder", {"Name": "abb"})["AppBlockBuilder"]["State"] == "STARTING"
    assert error_of(emulator, "StopAppBlockBuilder", {"Name": "abb"}) == "ConcurrentModificationException"
    assert (
        error_of(emulator, "UpdateAppBlockBuilder", {"Name": "abb", "DisplayName": "x"})
        == "ConcurrentModificationException"
    )
    clock.advance(600)
    running = emulator.call("DescribeAppBlockBuilders", {"Names": ["abb"]})["AppBlockBuilders"][0]
    assert running["State"] == "RUNNING"
    assert (
        emulator.call("UpdateAppBlockBuilder", {"Name": "abb", "DisplayName": "Packager"})["AppBlockBuilder"][
            "DisplayName"
        ]
        == "Packager"
    )
    assert error_of(
        emulator, "UpdateAppBlockBuilder", {"Name": "abb", "InstanceType": "stream.standard.small"}
    ) == ("ResourceInUseException")
    assert error_of(emulator, "DeleteAppBlockBuilder", {"Name": "abb"}) == "OperationNotPermittedException"
    emulator.call("StopAppBlockBuilder", {"Name": "abb"})
    clock.advance(300)
    updated = emulator.call(
        "UpdateAppBlockBuilder",
        {"Name": "abb", "AttributesToDelete": ["VPC_CONFIGURATION_SECURITY_GROUP_IDS"]},
    )["AppBlockBuilder"]
    assert updated["VpcConfig"] == {"SubnetIds": ["subnet-1"]}
    emulator.call("DeleteAppBlockBuilder", {"Name": "abb"})
    assert emulator.inventory()["app_block_builders"] == []


def test_tags_by_arn() -> None:
    emulator, _ = make(quotas={"tags_per_resource": 3})
    arn = create_fleet(emulator, Tags={"a": "1"})["Arn"]
    assert emulator.call("ListTagsForResource", {"ResourceArn": arn}) == {"Tags": {"a": "1"}}
    emulator.call("TagResource", {"ResourceArn": arn, "Tags": {"b": "2", "c": "3"}})
    assert (
        error_of(emulator, "TagResource", {"ResourceArn": arn, "Tags": {"d": "4"}})
        == "LimitExceededException"
    )
    emulator.call("UntagResource", {"ResourceArn": arn, "TagKeys": ["a", "c"]})
    assert emulator.call("ListTagsForResource", {"ResourceArn": arn}) == {"Tags": {"b": "2"}}
    missing = "arn:aws:appstream:us-east-1:123456789012:fleet/none"
    assert error_of(emulator, "ListTagsForResource", {"ResourceArn": missing}) == "ResourceNotFoundException"
    assert (
        error_of(emulator, "TagResource", {"ResourceArn": arn, "Tags": {"aws:reserved": "x"}})
        == "ValidationException"
    )
    builder = emulator.call(
        "CreateImageBuilder",
        {"Name": "b", "ImageName": BASE, "InstanceType": "stream.standard.large", "Tags": {"k": "v"}},
    )["ImageBuilder"]
    assert emulator.call("ListTagsForResource", {"ResourceArn": builder["Arn"]}) == {"Tags": {"k": "v"}}
