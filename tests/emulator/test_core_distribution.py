"""Images beyond their region and account: CopyImage to other regions, and image permissions."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from appstream_emulator import AppStreamError, Emulator, ManualClock, Scenario
from appstream_emulator.inprocess import emulated_appstream

PERMISSIONS = {"allowFleet": True, "allowImageBuilder": True}
OTHER_ACCOUNT = "111122223333"


def make(**scenario: Any) -> tuple[Emulator, ManualClock]:
    clock = ManualClock()
    data = {"images": [{"name": "golden", "tags": {"team": "desk"}}], **scenario}
    return Emulator(Scenario.model_validate(data), clock), clock


def image(emulator: Emulator, name: str, region: str | None = None) -> dict[str, Any]:
    return dict(emulator.call("DescribeImages", {"Names": [name]}, region=region)["Images"][0])


def copy(emulator: Emulator, region: str = "eu-west-1", name: str = "golden") -> dict[str, Any]:
    params = {"SourceImageName": "golden", "DestinationImageName": name, "DestinationRegion": region}
    return emulator.call("CopyImage", params)


def error_code(call: Any) -> str:
    with pytest.raises(AppStreamError) as raised:
        call()
    return raised.value.code


def test_a_copy_is_pending_in_its_region_then_available_without_the_source_tags() -> None:
    emulator, clock = make(durations={"image_copy": 600})
    assert copy(emulator) == {"DestinationImageName": "golden"}
    copied = image(emulator, "golden", "eu-west-1")
    assert copied["State"] == "PENDING"
    assert copied["Arn"] == "arn:aws:appstream:eu-west-1:123456789012:image/golden"
    assert not emulator.call("ListTagsForResource", {"ResourceArn": copied["Arn"]}, region="eu-west-1").get(
        "Tags"
    )
    assert image(emulator, "golden")["State"] == "AVAILABLE"
    clock.advance(600)
    assert image(emulator, "golden", "eu-west-1")["State"] == "AVAILABLE"
    assert emulator.regions == ["us-east-1", "eu-west-1"]
    assert emulator.inventory()["other_regions"] == [
        {"region": "eu-west-1", "name": "golden", "state": "AVAILABLE"}
    ]


def test_each_region_has_its_own_resources_and_quotas() -> None:
    emulator, _ = make(quotas={"images": 1})
    # The home region is full (golden), the destination is not.
    copy(emulator)
    assert error_code(lambda: copy(emulator, "eu-west-1", "second")) == "LimitExceededException"
    elsewhere = emulator.call("DescribeImages", {"Type": "PRIVATE"}, region="us-west-2")["Images"]
    assert elsewhere == []
    assert error_code(lambda: image(emulator, "golden", "us-west-2")) == "ResourceNotFoundException"


def test_copy_refusals() -> None:
    emulator, _ = make()
    copy(emulator)
    assert error_code(lambda: copy(emulator)) == "ResourceAlreadyExistsException"
    assert error_code(lambda: copy(emulator, "xx-nowhere-1")) == "ResourceNotAvailableException"
    base = {"SourceImageName": "AppStream-WinServer2022-09-08-2025", "DestinationImageName": "b"}
    assert (
        error_code(lambda: emulator.call("CopyImage", {**base, "DestinationRegion": "eu-west-1"}))
        == "ResourceNotFoundException"
    )
    missing = {"SourceImageName": "nope", "DestinationImageName": "n", "DestinationRegion": "eu-west-1"}
    assert error_code(lambda: emulator.call("CopyImage", missing)) == "ResourceNotFoundException"
    # Pending copies are not AVAILABLE: they cannot be copied on.
    params = {"SourceImageName": "golden", "DestinationImageName": "g2", "DestinationRegion": "us-east-1"}
    assert error_code(lambda: emulator.call("CopyImage", params, region="eu-west-1")) == (
        "ResourceNotAvailableException"
    )
    too_long = {"SourceImageName": "golden", "DestinationImageName": "g", "DestinationRegion": "r" * 33}
    assert error_code(lambda: emulator.call("CopyImage", too_long)) == "ValidationException"


def test_a_fault_in_one_region_fails_the_copy_there_only() -> None:
    emulator, clock = make(
        faults=[
            {"resource": "image", "region": "eu-west-1", "reason": "no capacity"},
            {"operation": "CopyImage", "error": "LimitExceededException", "region": "ap-south-1"},
        ]
    )
    copy(emulator, "us-west-2")
    copy(emulator, "eu-west-1")
    assert error_code(lambda: copy(emulator, "ap-south-1")) == "LimitExceededException"
    clock.advance(1800)
    assert image(emulator, "golden", "us-west-2")["State"] == "AVAILABLE"
    failed = image(emulator, "golden", "eu-west-1")
    assert failed["State"] == "FAILED"
    assert failed["StateChangeReason"]["Code"] == "IMAGE_COPY_FAILURE"


def test_source_reads_copying_under_that_reading() -> None:
    emulator, clock = make(assumptions={"image_copy": "source_copying"}, durations={"image_copy": 100})
    copy(emulator, "eu-west-1")
    copy(emulator, "us-west-2")
    assert image(emulator, "golden")["State"] == "COPYING"
    clock.advance(100)
    assert image(emulator, "golden")["State"] == "AVAILABLE"


def test_permissions_share_describe_and_delete() -> None:
    emulator, _ = make(quotas={"image_shares": 1})
    params = {"Name": "golden", "SharedAccountId": OTHER_ACCOUNT, "ImagePermissions": PERMISSIONS}
    assert emulator.call("UpdateImagePermissions", params) == {}
    emulator.call("UpdateImagePermissions", {**params, "ImagePermissions": {"allowFleet": True}})
    described = emulator.call("DescribeImagePermissions", {"Name": "golden"})
    assert described == {
        "Name": "golden",
        "SharedImagePermissionsList": [
            {
                "sharedAccountId": OTHER_ACCOUNT,
                "imagePermissions": {"allowFleet": True, "allowImageBuilder": False},
            }
        ],
    }
    assert image(emulator, "golden")["ImageSharedWithOthers"] == "TRUE"
    other = {**params, "SharedAccountId": "444455556666"}
    assert error_code(lambda: emulator.call("UpdateImagePermissions", other)) == "LimitExceededException"
    bad = {**params, "SharedAccountId": "123"}
    assert error_code(lambda: emulator.call("UpdateImagePermissions", bad)) == "ValidationException"
    only = {"Name": "golden", "SharedAwsAccountIds": ["444455556666"]}
    filtered = emulator.call("DescribeImagePermissions", only)
    assert filtered["SharedImagePermissionsList"] == []
    emulator.call("DeleteImagePermissions", {"Name": "golden", "SharedAccountId": OTHER_ACCOUNT})
    assert image(emulator, "golden")["ImageSharedWithOthers"] == "FALSE"
    again = {"Name": "golden", "SharedAccountId": OTHER_ACCOUNT}
    assert error_code(lambda: emulator.call("DeleteImagePermissions", again)) == "ResourceNotFoundException"
    assert error_code(lambda: emulator.call("DescribeImagePermissions", {"Name": "nope"})) == (
        "ResourceNotFoundException"
    )


def test_a_pending_image_cannot_be_shared() -> None:
    emulator, _ = make()
    copy(emulator)
    params = {"Name": "golden", "SharedAccountId": OTHER_ACCOUNT, "ImagePermissions": PERMISSIONS}
    assert error_code(lambda: emulator.call("UpdateImagePermissions", params, region="eu-west-1")) == (
        "ResourceNotAvailableException"
    )


def test_clients_see_the_region_they_were_built_for() -> None:
    emulator, clock = make()
    with emulated_appstream(emulator):
        home = boto3.client("appstream", region_name="us-east-1")
        europe = boto3.client("appstream", region_name="eu-west-1")
        home.copy_image(
            SourceImageName="golden", DestinationImageName="golden", DestinationRegion="eu-west-1"
        )
        clock.advance(1800)
        (copied,) = europe.describe_images(Names=["golden"])["Images"]
        assert copied["Arn"].startswith("arn:aws:appstream:eu-west-1:")
        assert [
            i["Name"]
            for i in boto3.client("appstream", region_name="us-west-2").describe_images(Type="PRIVATE")[
                "Images"
            ]
        ] == []


def test_the_http_front_routes_by_the_signed_region(serve_emulator: Any, clock: ManualClock) -> None:
    url = serve_emulator(Scenario.model_validate({"images": [{"name": "golden"}]}))
    keys = {"aws_access_key_id": "test", "aws_secret_access_key": "test", "endpoint_url": url}
    home = boto3.client("appstream", region_name="us-east-1", **keys)
    home.copy_image(SourceImageName="golden", DestinationImageName="golden", DestinationRegion="ca-central-1")
    canada = boto3.client("appstream", region_name="ca-central-1", **keys)
    assert canada.describe_images(Names=["golden"])["Images"][0]["State"] == "PENDING"
    (own,) = home.describe_images(Names=["golden"])["Images"]
    assert own["Arn"].startswith("arn:aws:appstream:us-east-1:")
