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
    params = {
        "Name": name,
        "ImageName": BASE,
        "InstanceType": "stream.standard.large",
        "ComputeCapacity": {"DesiredInstances": 1},
        **extra,
    }
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
    capacity = {"ComputeCapacity": {"DesiredInstances": 1}}
    both = {
        "Name": "f",
        "ImageName": BASE,
        "ImageArn": "arn:aws:appstream:us-east-1::image/x",
        "InstanceType": "stream.standard.large",
        **capacity,
    }
    assert error_of(emulator, "CreateFleet", both) == "InvalidParameterCombinationException"
    missing = {"Name": "f", "ImageName": "nope", "InstanceType": "stream.standard.large", **capacity}
    assert error_of(emulator, "CreateFleet", missing) == "ResourceNotFoundException"
    create_fleet(emulator)
    taken = {"Name": "fleet", "ImageName": BASE, "InstanceType": "stream.standard.large", **capacity}
    assert error_of(emulator, "CreateFleet", taken) == "ResourceAlreadyExistsException"
    assert error_of(emulator, "CreateFleet", {**taken, "Name": "g"}) == "LimitExceededException"
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
    emulator, clock = make(app_block_builders=[{"name": "abb", "app_block": "packager"}])
    params = {
        "Name": "new",
        "Platform": "WINDOWS_SERVER_2019",
        "InstanceType": "stream.standard.large",
        "VpcConfig": {"SubnetIds": ["subnet-1", "subnet-2"], "SecurityGroupIds": ["sg-1"]},
    }
    created = emulator.call("CreateAppBlockBuilder", params)["AppBlockBuilder"]
    assert created["State"] == "STOPPED" and created["Arn"].endswith(":app-block-builder/new")
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
        {"Name": "new", "AttributesToDelete": ["VPC_CONFIGURATION_SECURITY_GROUP_IDS"]},
    )["AppBlockBuilder"]
    assert updated["VpcConfig"] == {"SubnetIds": ["subnet-1", "subnet-2"]}
    # "An app block builder can only be deleted when it has no association with an app block." (model)
    assert error_of(emulator, "DeleteAppBlockBuilder", {"Name": "abb"}) == "ResourceInUseException"
    emulator.call("DeleteAppBlockBuilder", {"Name": "new"})
    assert [b["name"] for b in emulator.inventory()["app_block_builders"]] == ["abb"]


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


ELASTIC = {
    "Name": "elastic",
    "FleetType": "ELASTIC",
    "InstanceType": "stream.standard.large",
    "Platform": "WINDOWS_SERVER_2019",
    "MaxConcurrentSessions": 5,
    "VpcConfig": {"SubnetIds": ["subnet-1", "subnet-2"]},
}


@pytest.mark.parametrize(
    ("capacity", "extra", "code"),
    [
        ({"DesiredInstances": 2}, {}, None),
        ({"DesiredSessions": 4}, {"MaxSessionsPerInstance": 2}, None),
        (None, {}, "InvalidParameterCombinationException"),
        ({}, {}, "InvalidParameterCombinationException"),
        ({"DesiredInstances": 2, "DesiredSessions": 4}, {}, "InvalidParameterCombinationException"),
        ({"DesiredSessions": 4}, {}, "InvalidParameterCombinationException"),  # single-session fleet
        ({"DesiredInstances": 2}, {"MaxSessionsPerInstance": 2}, "InvalidParameterCombinationException"),
    ],
)
def test_compute_capacity_gives_exactly_one_desired_count(
    capacity: dict[str, int] | None, extra: dict[str, Any], code: str | None
) -> None:
    """Seed l.1489-1491: one of DesiredInstances and DesiredSessions, by the kind of fleet."""
    emulator, _ = make()
    params = {"Name": "f", "ImageName": BASE, "InstanceType": "stream.standard.large", **extra}
    if capacity is not None:
        params["ComputeCapacity"] = capacity
    if code is None:
        assert emulator.call("CreateFleet", params)["Fleet"]["State"] == "STOPPED"
    else:
        assert error_of(emulator, "CreateFleet", params) == code


def test_update_fleet_keeps_the_capacity_rule() -> None:
    emulator, _ = make()
    create_fleet(emulator)
    both = {"Name": "fleet", "ComputeCapacity": {"DesiredInstances": 2, "DesiredSessions": 2}}
    assert error_of(emulator, "UpdateFleet", both) == "InvalidParameterCombinationException"
    updated = emulator.call("UpdateFleet", {"Name": "fleet", "ComputeCapacity": {"DesiredInstances": 3}})
    assert updated["Fleet"]["ComputeCapacityStatus"]["Desired"] == 3


def test_elastic_fleets_need_vpc_and_max_sessions_and_take_no_capacity_or_domain() -> None:
    """Seed l.1481, l.1499, l.1563, l.1637."""
    emulator, _ = make()
    without = {key: value for key, value in ELASTIC.items() if key != "MaxConcurrentSessions"}
    assert error_of(emulator, "CreateFleet", without) == "InvalidParameterCombinationException"
    no_vpc = {key: value for key, value in ELASTIC.items() if key != "VpcConfig"}
    assert error_of(emulator, "CreateFleet", no_vpc) == "InvalidParameterCombinationException"
    one_subnet = {**ELASTIC, "VpcConfig": {"SubnetIds": ["subnet-1"]}}
    assert error_of(emulator, "CreateFleet", one_subnet) == "InvalidParameterCombinationException"
    capacity = {**ELASTIC, "ComputeCapacity": {"DesiredInstances": 1}}
    assert error_of(emulator, "CreateFleet", capacity) == "InvalidParameterCombinationException"
    domain = {**ELASTIC, "DomainJoinInfo": {"DirectoryName": "corp.example.com"}}
    assert error_of(emulator, "CreateFleet", domain) == "InvalidParameterCombinationException"
    created = emulator.call("CreateFleet", ELASTIC)["Fleet"]
    assert (created["FleetType"], created["MaxConcurrentSessions"]) == ("ELASTIC", 5)
    update = {"Name": "elastic", "ComputeCapacity": {"DesiredInstances": 1}}
    assert error_of(emulator, "UpdateFleet", update) == "InvalidParameterCombinationException"
    update = {"Name": "elastic", "VpcConfig": {"SubnetIds": ["subnet-9"]}}
    assert error_of(emulator, "UpdateFleet", update) == "InvalidParameterCombinationException"
    # MaxConcurrentSessions is "not allowed for other fleet types".
    assert error_of(emulator, "UpdateFleet", {"Name": "fleet", "MaxConcurrentSessions": 2}) == (
        "ResourceNotFoundException"
    )
    create_fleet(emulator)
    assert error_of(emulator, "UpdateFleet", {"Name": "fleet", "MaxConcurrentSessions": 2}) == (
        "InvalidParameterCombinationException"
    )
    on_demand = {
        "Name": "g",
        "ImageName": BASE,
        "InstanceType": "stream.standard.large",
        "MaxConcurrentSessions": 2,
    }
    assert error_of(emulator, "CreateFleet", on_demand) == "InvalidParameterCombinationException"


@pytest.mark.parametrize(
    ("member", "accepted", "refused"),
    [
        ("MaxUserDurationInSeconds", [600, 432000], [599, 432001]),  # seed l.1521
        ("DisconnectTimeoutInSeconds", [60, 36000], [59, 36001]),  # seed l.1531
        ("IdleDisconnectTimeoutInSeconds", [0, 60, 36000], [1, 59, 36001]),  # seed l.1601
    ],
)
def test_fleet_timeouts_are_in_the_documented_ranges(
    member: str, accepted: list[int], refused: list[int]
) -> None:
    emulator, _ = make(quotas={"fleets": 20})
    for index, value in enumerate(accepted):
        create_fleet(emulator, f"ok-{index}", **{member: value})
        emulator.call("UpdateFleet", {"Name": f"ok-{index}", member: value})
    create_fleet(emulator)
    for value in refused:
        with pytest.raises(AppStreamError) as raised:
            create_fleet(emulator, "bad", **{member: value})
        assert raised.value.code == "ValidationException" and f"'{member}'" in raised.value.message
        assert error_of(emulator, "UpdateFleet", {"Name": "fleet", member: value}) == "ValidationException"


APP_BLOCK_BUILDER = {
    "Name": "abb",
    "Platform": "WINDOWS_SERVER_2019",
    "InstanceType": "stream.standard.large",
    "VpcConfig": {"SubnetIds": ["subnet-1", "subnet-2"]},
}


def test_an_app_block_builder_without_an_app_block_cannot_start() -> None:
    """'An app block builder can only be started when it's associated with an app block.' (seed l.5440)"""
    emulator, _ = make(app_block_builders=[{"name": "ready", "app_block": "packager"}])
    emulator.call("CreateAppBlockBuilder", APP_BLOCK_BUILDER)
    assert error_of(emulator, "StartAppBlockBuilder", {"Name": "abb"}) == "OperationNotPermittedException"
    assert emulator.call("StartAppBlockBuilder", {"Name": "ready"})["AppBlockBuilder"]["State"] == "STARTING"


def test_an_app_block_builder_takes_at_least_two_subnets() -> None:
    """Seed l.1032 (create) and l.6627 (update)."""
    emulator, _ = make()
    one = {**APP_BLOCK_BUILDER, "VpcConfig": {"SubnetIds": ["subnet-1"]}}
    with pytest.raises(AppStreamError) as raised:
        emulator.call("CreateAppBlockBuilder", one)
    assert raised.value.code == "ValidationException" and "'VpcConfig.SubnetIds'" in raised.value.message
    emulator.call("CreateAppBlockBuilder", APP_BLOCK_BUILDER)
    update = {"Name": "abb", "VpcConfig": {"SubnetIds": ["subnet-3"]}}
    assert error_of(emulator, "UpdateAppBlockBuilder", update) == "ValidationException"


def test_an_app_block_builder_runs_windows_server_2019_only() -> None:
    """'WINDOWS_SERVER_2019 is the only valid value.' (seed l.1000, l.6599)"""
    emulator, _ = make()
    other = {**APP_BLOCK_BUILDER, "Platform": "WINDOWS_SERVER_2022"}
    assert error_of(emulator, "CreateAppBlockBuilder", other) == "ValidationException"  # the model's enum
    emulator.call("CreateAppBlockBuilder", APP_BLOCK_BUILDER)
    update = {"Name": "abb", "Platform": "WINDOWS_SERVER_2022"}
    assert error_of(emulator, "UpdateAppBlockBuilder", update) == "InvalidParameterCombinationException"


def test_describe_app_block_builders_pages_at_most_25() -> None:
    """'The maximum value is 25.' (seed l.4027); the model sets no maximum."""
    emulator, _ = make(quotas={"app_block_builders": 30})
    for index in range(26):
        emulator.call("CreateAppBlockBuilder", {**APP_BLOCK_BUILDER, "Name": f"abb-{index}"})
    page = emulator.call("DescribeAppBlockBuilders", {"MaxResults": 25})
    assert len(page["AppBlockBuilders"]) == 25 and "NextToken" in page
    with pytest.raises(AppStreamError) as raised:
        emulator.call("DescribeAppBlockBuilders", {"MaxResults": 26})
    assert raised.value.code == "ValidationException" and "'MaxResults'" in raised.value.message
