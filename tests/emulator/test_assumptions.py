"""Scenario `assumptions`: each reading of a question the sources leave open, as a client sees it."""

from __future__ import annotations

from typing import Any

import pytest

from appstream_emulator import AppStreamError, Emulator, ManualClock, Scenario, ScenarioError

ROLE = "arn:aws:iam::123456789012:role/AppStreamExport"
AMI = "ami-0123456789abcdef0"


def make(**assumptions: str) -> tuple[Emulator, ManualClock]:
    clock = ManualClock()
    data: dict[str, Any] = {
        "durations": {"import": 10, "validation": 5, "export": 10, "image_delete": 30},
        "images": [{"name": "golden"}],
        "fleets": [{"name": "web", "image": "golden", "running": False, "root_volume_gb": 300}],
        "assumptions": assumptions,
    }
    return Emulator(Scenario.from_data(data), clock), clock


@pytest.mark.parametrize(
    ("assumptions", "named"),
    [
        ({"export_task_filters": "sometimes"}, ["assumptions.export_task_filters", "'sometimes'"]),
        ({"deleted_root_volume": 200}, ["assumptions.deleted_root_volume", "200"]),
        ({"colour": "red"}, ["assumptions.colour", "unknown assumption", "export_task_filters"]),
    ],
)
def test_an_unknown_assumption_or_reading_is_refused_by_name(
    assumptions: dict[str, Any], named: list[str]
) -> None:
    with pytest.raises(ScenarioError) as raised:
        Scenario.from_data({"assumptions": assumptions}, "s.yaml")
    assert all(part in str(raised.value) for part in named), raised.value


def _exports(emulator: Emulator, clock: ManualClock) -> None:
    emulator.call("CreateExportImageTask", {"ImageName": "golden", "AmiName": "golden-a", "IamRoleArn": ROLE})
    clock.advance(10)
    emulator.call("CreateExportImageTask", {"ImageName": "golden", "AmiName": "golden-b", "IamRoleArn": ROLE})


def _listed(emulator: Emulator, filters: list[dict[str, Any]] | None) -> list[str]:
    params = {"Filters": filters} if filters is not None else {}
    tasks = emulator.call("ListExportImageTasks", params)["ExportImageTasks"]
    return sorted(task["AmiName"] for task in tasks)


@pytest.mark.parametrize(
    ("reading", "filtered"),
    [("as_emulated", ["golden-b"]), ("ignored", ["golden-a", "golden-b"]), ("rejected", None)],
)
def test_export_task_filters(reading: str, filtered: list[str] | None) -> None:
    emulator, clock = make(export_task_filters=reading)
    _exports(emulator, clock)
    by_name = [{"Name": "ami-name", "Values": ["golden-b"]}]
    assert _listed(emulator, None) == ["golden-a", "golden-b"]  # no filter: every reading lists all
    if filtered is None:
        with pytest.raises(AppStreamError) as raised:
            _listed(emulator, by_name)
        assert raised.value.code == "ValidationException"
    else:
        assert _listed(emulator, by_name) == filtered


@pytest.mark.parametrize(
    ("reading", "shown"), [("absent", None), ("reads_as_default", {"VolumeSizeInGb": 200})]
)
def test_a_deleted_root_volume_reads_back_per_reading(reading: str, shown: dict[str, int] | None) -> None:
    emulator, _ = make(deleted_root_volume=reading)
    emulator.call("UpdateFleet", {"Name": "web", "AttributesToDelete": ["VOLUME_CONFIGURATION"]})
    fleet = emulator.call("DescribeFleets", {"Names": ["web"]})["Fleets"][0]
    assert fleet.get("RootVolumeConfig") == shown


def _image(emulator: Emulator) -> dict[str, Any] | None:
    images = emulator.call("DescribeImages", {"Type": "PRIVATE"})["Images"]
    return next((image for image in images if image["Name"] == "golden"), None)


def test_a_deleted_image_is_gone_at_once_when_immediate() -> None:
    emulator, _ = make(delete_image="immediate")
    emulator.call("DeleteFleet", {"Name": "web"})
    emulator.call("DeleteImage", {"Name": "golden"})
    assert _image(emulator) is None


def test_a_deleted_image_stays_deleting_for_a_while_and_holds_its_name() -> None:
    emulator, clock = make(delete_image="deleting_for_a_while")
    emulator.call("DeleteFleet", {"Name": "web"})
    emulator.call("DeleteImage", {"Name": "golden"})
    assert (_image(emulator) or {}).get("State") == "DELETING"
    with pytest.raises(AppStreamError) as raised:
        emulator.call("CreateImportedImage", {"Name": "golden", "SourceAmiId": AMI, "IamRoleArn": ROLE})
    assert raised.value.code == "ResourceAlreadyExistsException"
    clock.advance(30)
    assert _image(emulator) is None


@pytest.mark.parametrize(
    ("reading", "states"),
    [("only_with_runtime_validation", ["IMPORTING", "AVAILABLE"]), ("always", ["IMPORTING", "VALIDATING"])],
)
def test_validating_phase_without_runtime_validation(reading: str, states: list[str]) -> None:
    emulator, clock = make(validating_phase=reading)
    emulator.call("CreateImportedImage", {"Name": "imported", "SourceAmiId": AMI, "IamRoleArn": ROLE})

    def state() -> str:
        return str(emulator.call("DescribeImages", {"Names": ["imported"]})["Images"][0]["State"])

    seen = [state()]
    clock.advance(10)
    seen.append(state())
    assert seen == states
    clock.advance(5)
    assert state() == "AVAILABLE"
