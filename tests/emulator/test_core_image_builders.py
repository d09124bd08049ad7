"""Image builders: lifecycle, PENDING_IMAGE_IMPORT, quotas and request rules."""

from __future__ import annotations

from typing import Any

import pytest

from appstream_emulator import AppStreamError, Emulator, ManualClock, Scenario

ROLE = "arn:aws:iam::123456789012:role/AppStreamImport"
BASE = "AppStream-WinServer2022-09-08-2025"


def make(**scenario: Any) -> tuple[Emulator, ManualClock]:
    clock = ManualClock()
    return Emulator(Scenario.model_validate(scenario), clock), clock


def create(emulator: Emulator, name: str = "builder", **extra: Any) -> dict[str, Any]:
    params = {"Name": name, "InstanceType": "stream.standard.large", **extra}
    if "ImageArn" not in params:
        params.setdefault("ImageName", BASE)
    return emulator.call("CreateImageBuilder", params)["ImageBuilder"]


def builder(emulator: Emulator, name: str = "builder") -> dict[str, Any]:
    return emulator.call("DescribeImageBuilders", {"Names": [name]})["ImageBuilders"][0]


def error_of(emulator: Emulator, operation: str, params: dict[str, Any]) -> str:
    with pytest.raises(AppStreamError) as raised:
        emulator.call(operation, params)
    return raised.value.code


def import_image(emulator: Emulator, name: str = "golden") -> None:
    params = {"Name": name, "SourceAmiId": "ami-0123456789abcdef0", "IamRoleArn": ROLE}
    emulator.call("CreateImportedImage", params)


def test_lifecycle_pending_running_stopping_stopped_and_back() -> None:
    emulator, clock = make()
    created = create(emulator, RootVolumeConfig={"VolumeSizeInGb": 350}, Tags={"run": "r1"})
    assert created["State"] == "PENDING"
    assert created["RootVolumeConfig"] == {"VolumeSizeInGb": 350}
    assert created["Arn"] == "arn:aws:appstream:us-east-1:123456789012:image-builder/builder"
    clock.advance(720)
    assert builder(emulator)["State"] == "RUNNING"
    assert emulator.call("StopImageBuilder", {"Name": "builder"})["ImageBuilder"]["State"] == "STOPPING"
    clock.advance(300)
    assert builder(emulator)["State"] == "STOPPED"
    assert emulator.call("StartImageBuilder", {"Name": "builder"})["ImageBuilder"]["State"] == "PENDING"
    clock.advance(720)
    assert builder(emulator)["State"] == "RUNNING"
    assert builder(emulator)["RootVolumeConfig"] == {"VolumeSizeInGb": 350}


def test_waits_for_its_imported_image() -> None:
    emulator, clock = make()
    import_image(emulator)
    assert (
        create(emulator, ImageName="golden", InstanceType="stream.standard.large")["State"]
        == "PENDING_IMAGE_IMPORT"
    )
    clock.advance(2700)  # import done: the builder now starts
    assert builder(emulator)["State"] == "PENDING"
    clock.advance(719)
    assert builder(emulator)["State"] == "PENDING"
    clock.advance(1)
    assert builder(emulator)["State"] == "RUNNING"


def test_fails_when_its_imported_image_fails() -> None:
    emulator, clock = make(faults=[{"resource": "imported_image", "reason": "no ENA driver"}])
    import_image(emulator)
    create(emulator, ImageName="golden")
    clock.advance(2700)
    failed = builder(emulator)
    assert failed["State"] == "FAILED"
    assert failed["StateChangeReason"]["Code"] == "IMAGE_UNAVAILABLE"
    assert failed["ImageBuilderErrors"][0]["ErrorCode"] == "VALIDATION_ERROR"
    emulator.call("DeleteImageBuilder", {"Name": "builder"})  # a FAILED builder can be deleted


def test_builder_fault_fails_the_start() -> None:
    emulator, clock = make(faults=[{"resource": "image_builder", "reason": "capacity"}])
    create(emulator)
    clock.advance(720)
    failed = builder(emulator)
    assert failed["State"] == "FAILED" and failed["StateChangeReason"] == {
        "Code": "INTERNAL_ERROR",
        "Message": "capacity",
    }


def test_image_name_xor_arn() -> None:
    emulator, _ = make()
    arn = emulator.call("DescribeImages", {"Names": [BASE]})["Images"][0]["Arn"]
    both = {"Name": "b", "ImageName": BASE, "ImageArn": arn, "InstanceType": "stream.standard.large"}
    assert error_of(emulator, "CreateImageBuilder", both) == "InvalidParameterCombinationException"
    neither = {"Name": "b", "InstanceType": "stream.standard.large"}
    assert error_of(emulator, "CreateImageBuilder", neither) == "InvalidParameterCombinationException"
    assert create(emulator, ImageArn=arn)["ImageArn"] == arn


@pytest.mark.parametrize("size", [199, 501, 0])
def test_root_volume_out_of_range(size: int) -> None:
    emulator, _ = make()
    with pytest.raises(AppStreamError) as raised:
        create(emulator, RootVolumeConfig={"VolumeSizeInGb": size})
    assert raised.value.code == "InvalidParameterCombinationException"
    assert "VolumeSizeInGb" in raised.value.message


@pytest.mark.parametrize("size", [200, 500])
def test_root_volume_bounds_are_inclusive(size: int) -> None:
    emulator, _ = make()
    assert (
        create(emulator, RootVolumeConfig={"VolumeSizeInGb": size})["RootVolumeConfig"]["VolumeSizeInGb"]
        == size
    )


def test_unknown_or_failed_image() -> None:
    emulator, clock = make(faults=[{"resource": "imported_image"}])
    assert error_of(
        emulator,
        "CreateImageBuilder",
        {"Name": "b", "ImageName": "nope", "InstanceType": "stream.standard.large"},
    ) == ("ResourceNotFoundException")
    import_image(emulator)
    clock.advance(2700)
    params = {"Name": "b", "ImageName": "golden", "InstanceType": "stream.standard.large"}
    assert error_of(emulator, "CreateImageBuilder", params) == "ResourceNotAvailableException"


def test_instance_types() -> None:
    emulator, clock = make()
    import_image(emulator)
    clock.advance(2700)
    # Imported images unlock further EC2 families; native ones do not.
    assert (
        create(emulator, "custom", ImageName="golden", InstanceType="GeneralPurpose.m7i.xlarge")["State"]
        == "PENDING"
    )
    native = {"Name": "n", "ImageName": BASE, "InstanceType": "GeneralPurpose.m7i.xlarge"}
    assert error_of(emulator, "CreateImageBuilder", native) == "IncompatibleImageException"
    nonsense = {"Name": "n", "ImageName": BASE, "InstanceType": "huge"}
    assert error_of(emulator, "CreateImageBuilder", nonsense) == "InvalidParameterCombinationException"
    # stream.standard.xlarge is offered to fleets, not to image builders.
    xlarge = {"Name": "n", "ImageName": BASE, "InstanceType": "stream.standard.xlarge"}
    assert error_of(emulator, "CreateImageBuilder", xlarge) == "InvalidParameterCombinationException"


def test_unique_names_and_quota() -> None:
    emulator, _ = make(quotas={"image_builders": 2})
    create(emulator, "a")
    assert error_of(
        emulator,
        "CreateImageBuilder",
        {"Name": "a", "ImageName": BASE, "InstanceType": "stream.standard.large"},
    ) == ("ResourceAlreadyExistsException")
    create(emulator, "b")
    assert error_of(
        emulator,
        "CreateImageBuilder",
        {"Name": "c", "ImageName": BASE, "InstanceType": "stream.standard.large"},
    ) == ("LimitExceededException")


def test_invalid_role() -> None:
    emulator, _ = make(invalid_roles=[ROLE])
    with pytest.raises(AppStreamError) as raised:
        create(emulator, IamRoleArn=ROLE)
    assert raised.value.code == "InvalidRoleException"


def test_state_rules_for_start_stop_delete() -> None:
    emulator, clock = make()
    create(emulator)
    # PENDING: every change waits for the builder to settle.
    for operation in ("StartImageBuilder", "StopImageBuilder", "DeleteImageBuilder"):
        assert error_of(emulator, operation, {"Name": "builder"}) == "ConcurrentModificationException"
    clock.advance(720)
    assert error_of(emulator, "StartImageBuilder", {"Name": "builder"}) == "ResourceNotAvailableException"
    assert error_of(emulator, "DeleteImageBuilder", {"Name": "builder"}) == "OperationNotPermittedException"
    emulator.call("StopImageBuilder", {"Name": "builder"})
    clock.advance(300)
    assert error_of(emulator, "StopImageBuilder", {"Name": "builder"}) == "OperationNotPermittedException"
    assert emulator.call("DeleteImageBuilder", {"Name": "builder"})["ImageBuilder"]["State"] == "DELETING"
    assert builder(emulator)["State"] == "DELETING"
    clock.advance(120)
    assert emulator.inventory()["image_builders"] == []
    assert error_of(emulator, "DescribeImageBuilders", {"Names": ["builder"]}) == "ResourceNotFoundException"
    assert error_of(emulator, "StopImageBuilder", {"Name": "builder"}) == "ResourceNotFoundException"


def test_deleted_builder_frees_quota_and_name() -> None:
    emulator, clock = make(quotas={"image_builders": 1})
    create(emulator)
    clock.advance(720)
    emulator.call("StopImageBuilder", {"Name": "builder"})
    clock.advance(300)
    emulator.call("DeleteImageBuilder", {"Name": "builder"})
    clock.advance(120)
    assert create(emulator)["State"] == "PENDING"


def test_describe_image_builders_paginates() -> None:
    emulator, _ = make()
    for index in range(5):
        create(emulator, f"b{index}")
    first = emulator.call("DescribeImageBuilders", {"MaxResults": 2})
    second = emulator.call("DescribeImageBuilders", {"MaxResults": 2, "NextToken": first["NextToken"]})
    third = emulator.call("DescribeImageBuilders", {"MaxResults": 2, "NextToken": second["NextToken"]})
    names = [b["Name"] for page in (first, second, third) for b in page["ImageBuilders"]]
    assert names == ["b0", "b1", "b2", "b3", "b4"] and "NextToken" not in third
    assert error_of(emulator, "DescribeImageBuilders", {"MaxResults": -1}) == "ValidationException"


def test_streaming_url_only_when_running() -> None:
    emulator, clock = make()
    create(emulator)
    assert (
        error_of(emulator, "CreateImageBuilderStreamingURL", {"Name": "builder"})
        == "OperationNotPermittedException"
    )
    clock.advance(720)
    url = emulator.call("CreateImageBuilderStreamingURL", {"Name": "builder", "Validity": 600})
    assert url["StreamingURL"].startswith("https://")
    assert url["Expires"].timestamp() == clock.now() + 600


def test_a_builder_takes_one_subnet() -> None:
    """'You can specify only one subnet.' (seed l.2315)"""
    emulator, _ = make()
    two = {"SubnetIds": ["subnet-1", "subnet-2"]}
    params = {"Name": "b", "ImageName": BASE, "InstanceType": "stream.standard.large", "VpcConfig": two}
    with pytest.raises(AppStreamError) as raised:
        emulator.call("CreateImageBuilder", params)
    assert raised.value.code == "ValidationException" and "'VpcConfig.SubnetIds'" in raised.value.message
    assert create(emulator, VpcConfig={"SubnetIds": ["subnet-1"]})["VpcConfig"] == {"SubnetIds": ["subnet-1"]}


@pytest.mark.parametrize("member", ["SoftwaresToInstall", "SoftwaresToUninstall"])
def test_license_included_applications_are_the_listed_ones(member: str) -> None:
    """The seed lists the applications (l.2431-2479, l.2491-2539)."""
    emulator, _ = make()
    listed = ["Microsoft_Office_2024_LTSC_Standard_64Bit", "Microsoft_Project_2021_Professional_32Bit"]
    assert create(emulator, **{member: listed})["State"] == "PENDING"
    params = {
        "Name": "other",
        "ImageName": BASE,
        "InstanceType": "stream.standard.large",
        member: ["Microsoft_Office_2024_LTSC_Standard_64Bit", "Microsoft_Office_2016"],
    }
    with pytest.raises(AppStreamError) as raised:
        emulator.call("CreateImageBuilder", params)
    assert raised.value.code == "ValidationException"
    assert f"'{member}.2'" in raised.value.message and "Microsoft_Office_2016" in raised.value.message


def test_latest_agent_version_resolves_to_the_newest_agent() -> None:
    """'To use the latest version ... specify [LATEST].' (seed l.2369, l.5655)"""
    emulator, clock = make()
    created = create(emulator, AppstreamAgentVersion="[LATEST]")
    latest = emulator.call("DescribeImages", {"Names": [BASE]})["Images"][0]["AppstreamAgentVersion"]
    assert (created["AppstreamAgentVersion"], created["LatestAppstreamAgentVersion"]) == (latest, "TRUE")
    pinned = create(emulator, "pinned", AppstreamAgentVersion="1.1.1000")
    assert (pinned["AppstreamAgentVersion"], pinned["LatestAppstreamAgentVersion"]) == ("1.1.1000", "FALSE")
    clock.advance(720)
    emulator.call("StopImageBuilder", {"Name": "pinned"})
    clock.advance(300)
    started = emulator.call("StartImageBuilder", {"Name": "pinned", "AppstreamAgentVersion": "[LATEST]"})
    assert started["ImageBuilder"]["AppstreamAgentVersion"] == latest


def test_network_access_configuration_appears_once_the_builder_has_run() -> None:
    emulator, clock = make()
    assert "NetworkAccessConfiguration" not in create(emulator)
    clock.advance(720)
    network = builder(emulator)["NetworkAccessConfiguration"]
    assert network["EniId"].startswith("eni-") and network["EniPrivateIpAddress"].startswith("10.")
    emulator.call("StopImageBuilder", {"Name": "builder"})
    clock.advance(300)
    assert builder(emulator)["NetworkAccessConfiguration"] == network  # the ENI stays with the builder


@pytest.mark.parametrize(
    ("instance_type", "code"),
    [
        ("GeneralPurpose.m7i.xlarge", None),
        ("MemoryOptimized.r7i.2xlarge", None),
        ("ComputeOptimized.c7i.large", None),
        ("Accelerated.g6.4xlarge", None),
        ("stream.general.m7i.xlarge", "InvalidParameterCombinationException"),  # no such family
        ("m7i.xlarge.large", "InvalidParameterCombinationException"),
    ],
)
def test_imported_images_unlock_the_documented_families(instance_type: str, code: str | None) -> None:
    emulator, clock = make()
    import_image(emulator)
    clock.advance(2700)
    params = {"Name": "b", "ImageName": "golden", "InstanceType": instance_type}
    if code is None:
        assert emulator.call("CreateImageBuilder", params)["ImageBuilder"]["State"] == "PENDING"
    else:
        assert error_of(emulator, "CreateImageBuilder", params) == code


@pytest.mark.parametrize("instance_type", ["stream.graphics-design.large", "stream.graphics-pro.4xlarge"])
def test_retired_graphics_design_and_pro_types_are_refused(instance_type: str) -> None:
    emulator, _ = make()
    params = {"Name": "b", "ImageName": BASE, "InstanceType": instance_type}
    assert error_of(emulator, "CreateImageBuilder", params) == "InvalidParameterCombinationException"
    fleet = {**params, "ComputeCapacity": {"DesiredInstances": 1}}
    assert error_of(emulator, "CreateFleet", fleet) == "InvalidParameterCombinationException"


def test_an_image_includes_the_license_included_applications_of_its_builder() -> None:
    """ManagedSoftwareIncluded: 'whether the image includes license-included applications' (seed l.478)."""
    from agent_contract.documents import ImageSpec

    emulator, clock = make()
    office = "Microsoft_Office_2024_LTSC_Standard_64Bit"
    create(emulator, "with-office", SoftwaresToInstall=[office, "Microsoft_Visio_2024_LTSC_Standard_64Bit"])
    create(emulator, "plain", SoftwaresToUninstall=[office])  # the base image has none to remove
    clock.advance(720)
    emulator.run_image_assistant("with-office", ImageSpec(name="office"))
    emulator.run_image_assistant("plain", ImageSpec(name="plain"))
    clock.advance(3600)
    # An image made from the Office image and rid of both applications includes none.
    create(
        emulator,
        "rid",
        ImageName="office",
        SoftwaresToUninstall=[office, "Microsoft_Visio_2024_LTSC_Standard_64Bit"],
    )
    clock.advance(720)
    emulator.run_image_assistant("rid", ImageSpec(name="rid"))
    clock.advance(3600)
    images = {i["Name"]: i for i in emulator.call("DescribeImages", {"Type": "PRIVATE"})["Images"]}
    included = {name: image["ManagedSoftwareIncluded"] for name, image in images.items()}
    assert included == {"office": True, "plain": False, "rid": False}
    base = emulator.call("DescribeImages", {"Names": [BASE]})["Images"][0]
    assert base["ManagedSoftwareIncluded"] is False


def test_a_builder_starts_from_an_image_another_account_shares_by_its_arn() -> None:
    """Images are public, private or shared: 'Shared images are owned by other Amazon Web Services
    accounts and shared with you' (docs, managing-images)."""
    emulator, _ = make(
        images=[
            {"name": "golden", "shared_by": "111122223333"},
            {"name": "fleet-only", "shared_by": "111122223333", "allow_image_builder": False},
        ]
    )
    shared = emulator.call("DescribeImages", {"Type": "SHARED"})["Images"]
    assert {image["Name"] for image in shared} == {"golden", "fleet-only"}
    arn = "arn:aws:appstream:us-east-1:111122223333:image/golden"
    assert {image["Arn"] for image in shared} >= {arn}
    assert create(emulator, ImageArn=arn)["ImageArn"] == arn
    fleet_only = next(image for image in shared if image["Name"] == "fleet-only")
    assert fleet_only["ImageBuilderSupported"] is False
    assert fleet_only["ImagePermissions"] == {"allowFleet": True, "allowImageBuilder": False}
    params = {"Name": "b2", "ImageArn": fleet_only["Arn"], "InstanceType": "stream.standard.large"}
    assert error_of(emulator, "CreateImageBuilder", params) == "OperationNotPermittedException"
    # The owner's image: this account cannot delete it, export it or update it.
    assert error_of(emulator, "DeleteImage", {"Name": "fleet-only"}) == "OperationNotPermittedException"
    export = {"ImageName": "fleet-only", "AmiName": "copy", "IamRoleArn": ROLE}
    assert error_of(emulator, "CreateExportImageTask", export) == "ResourceNotFoundException"
