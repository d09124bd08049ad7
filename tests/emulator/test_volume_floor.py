"""The image volume size: no builder or fleet root volume below the size of its image (seed l.7287)."""

from __future__ import annotations

from typing import Any

import pytest

from appstream_emulator import AppStreamError, Emulator, ManualClock, Scenario

ROLE = "arn:aws:iam::123456789012:role/AppStreamImport"
BUILDER_TYPE = "stream.standard.large"


def make(**scenario: Any) -> tuple[Emulator, ManualClock]:
    clock = ManualClock()
    return Emulator(Scenario.model_validate(scenario), clock), clock


def refusal(emulator: Emulator, operation: str, params: dict[str, Any]) -> AppStreamError:
    with pytest.raises(AppStreamError) as raised:
        emulator.call(operation, params)
    return raised.value


def volume(gb: int) -> dict[str, Any]:
    return {"RootVolumeConfig": {"VolumeSizeInGb": gb}}


def builder(emulator: Emulator, image: str, name: str = "b", **extra: Any) -> dict[str, Any]:
    params = {"Name": name, "ImageName": image, "InstanceType": BUILDER_TYPE, **extra}
    return emulator.call("CreateImageBuilder", params)


def fleet(emulator: Emulator, image: str, name: str = "f", **extra: Any) -> dict[str, Any]:
    return emulator.call("CreateFleet", {**fleet_params(name, image), **extra})


def fleet_params(name: str, image: str) -> dict[str, Any]:
    return {
        "Name": name,
        "ImageName": image,
        "InstanceType": "stream.standard.large",
        "ComputeCapacity": {"DesiredInstances": 1},
    }


def test_an_imported_image_is_as_large_as_its_ami_and_no_builder_goes_below_it() -> None:
    emulator, clock = make(amis=[{"id": "ami-0123456789abcdef0", "root_volume_gb": 320}])
    emulator.call(
        "CreateImportedImage", {"Name": "golden", "SourceAmiId": "ami-0123456789abcdef0", "IamRoleArn": ROLE}
    )
    clock.advance(3600)
    error = refusal(
        emulator,
        "CreateImageBuilder",
        {"Name": "b", "ImageName": "golden", "InstanceType": BUILDER_TYPE, **volume(250)},
    )
    assert error.code == "InvalidParameterCombinationException"
    assert "250 GB" in error.message and "320 GB" in error.message and "golden" in error.message
    builder(emulator, "golden", **volume(320))
    builder(emulator, "golden", name="b2")  # no RootVolumeConfig: the builder takes the image's size


def test_an_ami_smaller_than_the_default_makes_a_200_gb_image() -> None:
    emulator, clock = make(amis=[{"id": "ami-0123456789abcdef0", "root_volume_gb": 60}])
    emulator.call(
        "CreateImportedImage", {"Name": "golden", "SourceAmiId": "ami-0123456789abcdef0", "IamRoleArn": ROLE}
    )
    clock.advance(3600)
    builder(emulator, "golden", **volume(200))


def test_a_fleet_is_not_created_below_its_image_and_an_updated_image_keeps_the_size() -> None:
    emulator, clock = make(images=[{"name": "big", "volume_gb": 300}])
    assert (
        "300 GB"
        in refusal(
            emulator,
            "CreateFleet",
            {**fleet_params("f", "big"), **volume(250)},
        ).message
    )
    fleet(emulator, "big", **volume(300))
    emulator.call("CreateUpdatedImage", {"existingImageName": "big", "newImageName": "big-2"})
    clock.advance(7200)
    error = refusal(
        emulator,
        "CreateFleet",
        {**fleet_params("g", "big-2"), **volume(200)},
    )
    assert "big-2 (300 GB)" in error.message


def test_moving_a_fleet_to_a_larger_image_needs_a_root_volume_at_least_as_large() -> None:
    emulator, _ = make(images=[{"name": "small"}, {"name": "big", "volume_gb": 400}])
    fleet(emulator, "small", **volume(250))
    error = refusal(emulator, "UpdateFleet", {"Name": "f", "ImageName": "big"})
    assert "250 GB" in error.message and "400 GB" in error.message
    shrink = refusal(emulator, "UpdateFleet", {"Name": "f", "ImageName": "big", **volume(300)})
    assert shrink.code == "InvalidParameterCombinationException"
    moved = emulator.call("UpdateFleet", {"Name": "f", "ImageName": "big", **volume(400)})["Fleet"]
    assert (moved["ImageName"], moved["RootVolumeConfig"]) == ("big", {"VolumeSizeInGb": 400})
    assert fleet(emulator, "big", name="plain")["Fleet"]["ImageName"] == "big"  # no setting: no floor


@pytest.mark.parametrize(("reading", "refused"), [("absent", False), ("reads_as_default", True)])
def test_deleting_the_volume_setting_of_a_large_image_per_reading(reading: str, refused: bool) -> None:
    """Read back as the 200 GB default, a deleted setting would be below a 300 GB image."""
    emulator, _ = make(
        images=[{"name": "big", "volume_gb": 300}], assumptions={"deleted_root_volume": reading}
    )
    fleet(emulator, "big", **volume(300))
    delete = {"Name": "f", "AttributesToDelete": ["VOLUME_CONFIGURATION"]}
    if refused:
        assert "200 GB" in refusal(emulator, "UpdateFleet", delete).message
    else:
        assert "RootVolumeConfig" not in emulator.call("UpdateFleet", delete)["Fleet"]
