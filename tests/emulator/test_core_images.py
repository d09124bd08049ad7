"""Imported images, DescribeImages, DeleteImage and CreateUpdatedImage."""

from __future__ import annotations

from typing import Any

import pytest

from agent_contract.documents import ImageSpec
from appstream_emulator import AppStreamError, Emulator, ManualClock, Scenario

ROLE = "arn:aws:iam::123456789012:role/AppStreamImport"
AMI = "ami-0123456789abcdef0"
BASE = "AppStream-WinServer2022-09-08-2025"


def make(**scenario: Any) -> tuple[Emulator, ManualClock]:
    clock = ManualClock()
    return Emulator(Scenario.model_validate(scenario), clock), clock


def import_image(emulator: Emulator, name: str = "golden", **extra: Any) -> dict[str, Any]:
    params = {"Name": name, "SourceAmiId": AMI, "IamRoleArn": ROLE, **extra}
    return emulator.call("CreateImportedImage", params)["Image"]


def state(emulator: Emulator, name: str) -> str:
    return str(emulator.call("DescribeImages", {"Names": [name]})["Images"][0]["State"])


def test_import_with_runtime_validation_goes_importing_validating_available() -> None:
    emulator, clock = make()
    image = import_image(emulator, RuntimeValidationConfig={"IntendedInstanceType": "stream.standard.large"})
    assert (image["State"], image["ImageType"], image["Visibility"]) == ("IMPORTING", "CUSTOM", "PRIVATE")
    assert image["Platform"] == "WINDOWS_SERVER_2022"
    assert image["Arn"] == "arn:aws:appstream:us-east-1:123456789012:image/golden"
    clock.advance(2699)
    assert state(emulator, "golden") == "IMPORTING"
    clock.advance(1)
    assert state(emulator, "golden") == "VALIDATING"
    clock.advance(900)
    assert state(emulator, "golden") == "AVAILABLE"


def test_import_without_runtime_validation_skips_validating() -> None:
    emulator, clock = make(durations={"import": 100})
    import_image(emulator)
    clock.advance(100)
    assert state(emulator, "golden") == "AVAILABLE"


def test_import_failure_carries_one_reason_without_runtime_validation() -> None:
    emulator, clock = make(
        faults=[{"resource": "imported_image", "reason": "AMI is not UEFI", "name": "gold*"}]
    )
    import_image(emulator)
    import_image(emulator, "other")
    clock.advance(2700)
    failed = emulator.call("DescribeImages", {"Names": ["golden"]})["Images"][0]
    assert failed["State"] == "FAILED"
    assert failed["StateChangeReason"] == {"Code": "IMAGE_IMPORT_FAILURE", "Message": "AMI is not UEFI"}
    assert "ImageErrors" not in failed  # no streaming test ran, so no VALIDATION_ERROR
    assert state(emulator, "other") == "AVAILABLE"  # the glob did not match it


@pytest.mark.parametrize("validating_phase", ["only_with_runtime_validation", "always"])
def test_only_a_failed_runtime_validation_lists_validation_error(validating_phase: str) -> None:
    emulator, clock = make(
        faults=[{"resource": "imported_image", "reason": "no stream", "times": None}],
        assumptions={"validating_phase": validating_phase},
    )
    import_image(emulator, "plain")
    import_image(
        emulator, "tested", RuntimeValidationConfig={"IntendedInstanceType": "stream.standard.large"}
    )
    clock.advance(2700 + 900)
    plain, tested = emulator.call("DescribeImages", {"Names": ["plain", "tested"]})["Images"]
    assert "ImageErrors" not in plain
    assert tested["StateChangeReason"]["Code"] == "IMAGE_IMPORT_FAILURE"
    assert tested["ImageErrors"][0]["ErrorCode"] == "VALIDATION_ERROR"
    assert tested["ImageErrors"][0]["ErrorMessage"] == "no stream"
    assert tested["ImageErrors"][0]["ErrorTimestamp"].tzinfo is not None


def test_dry_run_validates_everything_then_reports_dry_run() -> None:
    emulator, _ = make()
    with pytest.raises(AppStreamError) as raised:
        import_image(emulator, DryRun=True)
    assert raised.value.code == "DryRunOperationException"
    assert emulator.inventory()["images"] == []
    import_image(emulator)
    with pytest.raises(AppStreamError) as raised:
        import_image(emulator, DryRun=True)  # the name is now taken: a real error wins over DryRun
    assert raised.value.code == "ResourceAlreadyExistsException"


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"Name": "x", "IamRoleArn": ROLE}, "ValidationException"),
        (
            {"Name": "x", "SourceAmiId": AMI, "WorkspaceImageId": "wsi-0123456789", "IamRoleArn": ROLE},
            "InvalidParameterCombinationException",
        ),
        ({"Name": "x", "SourceAmiId": AMI}, "ValidationException"),
        ({"Name": "x", "SourceAmiId": "ami-XYZ", "IamRoleArn": ROLE}, "ValidationException"),
        ({"Name": "-bad", "SourceAmiId": AMI, "IamRoleArn": ROLE}, "ValidationException"),
        (
            {
                "Name": "x",
                "SourceAmiId": AMI,
                "IamRoleArn": ROLE,
                "AppCatalogConfig": [{"Name": f"app{i}", "AbsoluteAppPath": "C:\\a.exe"} for i in range(51)],
            },
            "ValidationException",
        ),
        (
            {"Name": "x", "SourceAmiId": AMI, "IamRoleArn": ROLE, "AgentSoftwareVersion": "NEWEST"},
            "ValidationException",
        ),
    ],
)
def test_bad_import_requests(params: dict[str, Any], code: str) -> None:
    emulator, _ = make()
    with pytest.raises(AppStreamError) as raised:
        emulator.call("CreateImportedImage", params)
    assert raised.value.code == code


@pytest.mark.parametrize(
    ("params", "member"),
    [({"Name": "x", "IamRoleArn": ROLE}, "SourceAmiId"), ({"Name": "x", "SourceAmiId": AMI}, "IamRoleArn")],
)
def test_a_missing_source_or_role_is_a_null_required_member(params: dict[str, Any], member: str) -> None:
    """The API reference marks both [REQUIRED]; the emulator answers as for any null required member."""
    emulator, _ = make()
    with pytest.raises(AppStreamError) as raised:
        emulator.call("CreateImportedImage", params)
    with pytest.raises(AppStreamError) as modelled:
        emulator.call("CreateImportedImage", {"SourceAmiId": AMI, "IamRoleArn": ROLE})  # no Name
    assert raised.value.code == modelled.value.code == "ValidationException"
    assert raised.value.message == modelled.value.message.replace("'Name'", f"'{member}'")


def test_a_workspaces_image_needs_no_ami_and_no_role() -> None:
    emulator, _ = make()
    image = emulator.call("CreateImportedImage", {"Name": "ws", "WorkspaceImageId": "wsi-0123456789"})[
        "Image"
    ]
    assert image["State"] == "IMPORTING"
    # A WorkSpaces image is imported as BYOL (model `ImageType`) and takes the EC2 families an
    # imported image takes.
    assert (image["ImageType"], image["Platform"]) == ("BYOL", "WINDOWS_11")
    assert image["SupportedInstanceFamilies"] == import_image(emulator)["SupportedInstanceFamilies"]


@pytest.mark.parametrize(
    ("intended", "accepted"),
    [
        ("stream.standard.large", True),
        ("GeneralPurpose.m7i.xlarge", True),
        ("Accelerated.g6.2xlarge", True),
        ("stream.graphics-design.large", False),  # retired
        ("stream.general.m7i.xlarge", False),  # well formed, but in no family
        ("stream.standard.4xlarge", False),  # well formed, not offered
    ],
)
def test_intended_instance_type_is_one_an_imported_image_can_use(intended: str, accepted: bool) -> None:
    emulator, _ = make()
    params = {"RuntimeValidationConfig": {"IntendedInstanceType": intended}}
    if accepted:
        assert import_image(emulator, **params)["State"] == "IMPORTING"
        return
    with pytest.raises(AppStreamError) as raised:
        import_image(emulator, **params)
    assert raised.value.code == "InvalidParameterCombinationException"
    assert intended in raised.value.message


def test_validation_error_names_the_field() -> None:
    emulator, _ = make()
    with pytest.raises(AppStreamError) as raised:
        import_image(emulator, Description="x" * 257)
    assert "'Description'" in raised.value.message and "256" in raised.value.message


def test_sensitive_values_are_not_echoed() -> None:
    emulator, _ = make()
    with pytest.raises(AppStreamError) as raised:
        import_image(
            emulator,
            AppCatalogConfig=[{"Name": "app", "AbsoluteAppPath": "C:\\a.exe", "LaunchParameters": ""}],
        )
    assert raised.value.code == "ValidationException"
    assert "AppCatalogConfig.1.LaunchParameters" in raised.value.message
    assert "'***'" in raised.value.message


def test_ami_catalogue_and_invalid_roles() -> None:
    emulator, _ = make(
        amis=[{"id": AMI}, {"id": "ami-00000000000000bad", "compatible": False, "reason": "BIOS boot mode"}],
        invalid_roles=["arn:aws:iam::123456789012:role/Fresh"],
    )
    with pytest.raises(AppStreamError) as raised:
        emulator.call(
            "CreateImportedImage", {"Name": "a", "SourceAmiId": "ami-00000000000000bad", "IamRoleArn": ROLE}
        )
    assert raised.value.code == "IncompatibleImageException" and "BIOS" in raised.value.message
    with pytest.raises(AppStreamError) as raised:
        emulator.call(
            "CreateImportedImage", {"Name": "a", "SourceAmiId": "ami-11111111111111111", "IamRoleArn": ROLE}
        )
    assert raised.value.code == "ResourceNotFoundException"
    with pytest.raises(AppStreamError) as raised:
        emulator.call(
            "CreateImportedImage",
            {"Name": "a", "SourceAmiId": AMI, "IamRoleArn": "arn:aws:iam::123456789012:role/Fresh"},
        )
    assert raised.value.code == "InvalidRoleException"
    assert import_image(emulator, "a")["State"] == "IMPORTING"


def test_image_quota() -> None:
    emulator, _ = make(quotas={"images": 2})
    import_image(emulator, "a")
    import_image(emulator, "b")
    with pytest.raises(AppStreamError) as raised:
        import_image(emulator, "c")
    assert raised.value.code == "LimitExceededException"


def test_public_base_images_exist_and_filter_by_type() -> None:
    emulator, _ = make()
    import_image(emulator)
    public = emulator.call("DescribeImages", {"Type": "PUBLIC"})["Images"]
    assert public and all(i["Visibility"] == "PUBLIC" and i["State"] == "AVAILABLE" for i in public)
    assert any(i["Name"].startswith("AppStream-WinServer2022") for i in public)
    private = emulator.call("DescribeImages", {"Type": "PRIVATE"})["Images"]
    assert [i["Name"] for i in private] == ["golden"]


def test_describe_images_by_arn_names_and_errors() -> None:
    emulator, _ = make()
    arn = import_image(emulator)["Arn"]
    assert emulator.call("DescribeImages", {"Arns": [arn]})["Images"][0]["Name"] == "golden"
    for params, code in [
        ({"Names": ["golden"], "Arns": [arn]}, "InvalidParameterCombinationException"),
        ({"Names": ["missing"]}, "ResourceNotFoundException"),
        ({"MaxResults": 26}, "ValidationException"),
        ({"NextToken": "garbage"}, "ValidationException"),
    ]:
        with pytest.raises(AppStreamError) as raised:
            emulator.call("DescribeImages", params)
        assert raised.value.code == code


def test_describe_images_paginates() -> None:
    emulator, _ = make()
    for index in range(7):
        import_image(emulator, f"img-{index}")
    names: list[str] = []
    params: dict[str, Any] = {"Type": "PRIVATE", "MaxResults": 3}
    pages = 0
    while True:
        result = emulator.call("DescribeImages", params)
        names += [i["Name"] for i in result["Images"]]
        pages += 1
        if "NextToken" not in result:
            break
        params["NextToken"] = result["NextToken"]
    assert pages == 3
    assert names == [f"img-{index}" for index in range(7)]


def test_delete_image_rules() -> None:
    emulator, clock = make()
    import_image(emulator)
    with pytest.raises(AppStreamError) as raised:
        emulator.call("DeleteImage", {"Name": "golden"})
    assert raised.value.code == "ConcurrentModificationException"  # still importing
    clock.advance(2700)
    emulator.call(
        "CreateImageBuilder", {"Name": "b", "ImageName": "golden", "InstanceType": "stream.standard.large"}
    )
    with pytest.raises(AppStreamError) as raised:
        emulator.call("DeleteImage", {"Name": "golden"})
    assert raised.value.code == "ResourceInUseException" and "b" in raised.value.message
    public = emulator.call("DescribeImages", {"Type": "PUBLIC"})["Images"][0]["Name"]
    with pytest.raises(AppStreamError) as raised:
        emulator.call("DeleteImage", {"Name": public})
    assert raised.value.code == "OperationNotPermittedException"
    with pytest.raises(AppStreamError) as raised:
        emulator.call("DeleteImage", {"Name": "nope"})
    assert raised.value.code == "ResourceNotFoundException"


def test_delete_image_removes_it() -> None:
    emulator, clock = make()
    import_image(emulator)
    clock.advance(2700)
    assert emulator.call("DeleteImage", {"Name": "golden"})["Image"]["State"] == "DELETING"
    assert emulator.inventory()["images"] == []


def test_updated_image_dry_run_then_create() -> None:
    emulator, clock = make()
    import_image(emulator)
    clock.advance(2700)
    dry = emulator.call(
        "CreateUpdatedImage", {"existingImageName": "golden", "newImageName": "g2", "dryRun": True}
    )
    assert dry["canUpdateImage"] is True and dry["image"]["Name"] == "golden"
    assert [i["name"] for i in emulator.inventory()["images"]] == ["golden"]
    made = emulator.call("CreateUpdatedImage", {"existingImageName": "golden", "newImageName": "g2"})
    assert made["image"]["State"] == "PENDING" and made["image"]["BaseImageArn"].endswith("image/golden")
    clock.advance(3600)
    assert state(emulator, "g2") == "AVAILABLE"
    again = emulator.call(
        "CreateUpdatedImage", {"existingImageName": "g2", "newImageName": "g3", "dryRun": True}
    )
    assert again["canUpdateImage"] is False


def test_updated_image_rules_and_quota() -> None:
    emulator, clock = make(quotas={"concurrent_image_updates": 1})
    import_image(emulator)
    with pytest.raises(AppStreamError) as raised:
        emulator.call("CreateUpdatedImage", {"existingImageName": "golden", "newImageName": "g2"})
    assert raised.value.code == "OperationNotPermittedException"  # not AVAILABLE yet
    clock.advance(2700)
    emulator.call("CreateUpdatedImage", {"existingImageName": "golden", "newImageName": "g2"})
    with pytest.raises(AppStreamError) as raised:
        emulator.call("CreateUpdatedImage", {"existingImageName": "golden", "newImageName": "g3"})
    assert raised.value.code == "LimitExceededException"
    with pytest.raises(AppStreamError) as raised:
        emulator.call("CreateUpdatedImage", {"existingImageName": "golden", "newImageName": "g2"})
    assert raised.value.code == "ResourceAlreadyExistsException"


def test_updated_image_fault_fails_it() -> None:
    emulator, clock = make(faults=[{"resource": "image", "reason": "patching failed"}])
    import_image(emulator)
    clock.advance(2700)
    emulator.call("CreateUpdatedImage", {"existingImageName": "golden", "newImageName": "g2"})
    clock.advance(3600)
    image = emulator.call("DescribeImages", {"Names": ["g2"]})["Images"][0]
    assert image["State"] == "FAILED"
    assert image["StateChangeReason"] == {"Code": "IMAGE_UPDATE_FAILURE", "Message": "patching failed"}


def test_an_imported_image_name_is_at_most_100_characters() -> None:
    emulator, _ = make(amis=[{"id": AMI}])
    assert import_image(emulator, "a" * 100)["Name"] == "a" * 100
    with pytest.raises(AppStreamError) as raised:
        import_image(emulator, "b" * 101)  # botocore's pattern lets it through; the API reference does not
    assert raised.value.code == "ValidationException" and "100" in raised.value.message


def test_images_from_a_base_image_carry_its_release_date() -> None:
    """'For private images, this date is the release date of the base image' (seed l.406)."""
    emulator, clock = make(durations={"import": 1})
    base = emulator.call("DescribeImages", {"Names": [BASE]})["Images"][0]
    emulator.call(
        "CreateImageBuilder", {"Name": "b", "ImageName": BASE, "InstanceType": "stream.standard.large"}
    )
    clock.advance(720)
    emulator.run_image_assistant("b", ImageSpec(name="app"))
    clock.advance(2400 + 600)
    emulator.call("CreateUpdatedImage", {"existingImageName": "app", "newImageName": "app-updated"})
    import_image(emulator)
    clock.advance(3600)
    images = {i["Name"]: i for i in emulator.call("DescribeImages", {"Type": "PRIVATE"})["Images"]}
    released = base["PublicBaseImageReleasedDate"]
    assert images["app"]["PublicBaseImageReleasedDate"] == released
    assert images["app-updated"]["PublicBaseImageReleasedDate"] == released
    assert "PublicBaseImageReleasedDate" not in images["golden"]  # imported: made from no base image
