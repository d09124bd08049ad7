"""Fleets whose instances cannot launch (scenario faults), and fleets a scenario starts with."""

from __future__ import annotations

import pytest

from appstream_emulator import Emulator, ManualClock, Scenario
from appstream_emulator.scenario import ScenarioError
from tests.emulator.test_core_fleets import BASE, OTHER, create_fleet, fleet, make


def test_a_fleet_that_cannot_launch_its_image_ends_stopped_with_fleet_errors() -> None:
    emulator, clock = make(faults=[{"resource": "fleet", "name": OTHER, "reason": "no capacity"}])
    create_fleet(emulator, ComputeCapacity={"DesiredInstances": 1})
    emulator.call("StartFleet", {"Name": "fleet"})
    clock.advance(900)
    assert fleet(emulator)["State"] == "RUNNING"
    # The faulty image, swapped in on the RUNNING fleet: its instances fail at once.
    emulator.call("UpdateFleet", {"Name": "fleet", "ImageName": OTHER})
    errors = fleet(emulator)["FleetErrors"]
    assert errors == [{"ErrorCode": "INTERNAL_SERVICE_ERROR", "ErrorMessage": "no capacity"}]
    # Back on the good image, the errors are gone.
    emulator.call("UpdateFleet", {"Name": "fleet", "ImageName": BASE})
    assert "FleetErrors" not in fleet(emulator)


def test_a_start_with_a_faulty_image_stops_the_fleet() -> None:
    emulator, clock = make(faults=[{"resource": "fleet", "name": "fleet", "reason": "subnet full"}])
    create_fleet(emulator, ComputeCapacity={"DesiredInstances": 1})
    emulator.call("StartFleet", {"Name": "fleet"})
    clock.advance(900)
    described = fleet(emulator)
    assert described["State"] == "STOPPED"
    assert described["FleetErrors"][0]["ErrorMessage"] == "subnet full"
    emulator.call("StartFleet", {"Name": "fleet"})  # the fault was used up
    clock.advance(900)
    assert fleet(emulator)["State"] == "RUNNING" and "FleetErrors" not in fleet(emulator)


def test_a_scenario_can_start_with_fleets_on_its_images() -> None:
    scenario = Scenario.model_validate(
        {
            "images": [{"name": "app-v1"}],
            "fleets": [{"name": "web", "image": "app-v1", "fleet_type": "ELASTIC", "root_volume_gb": 300}],
        }
    )
    emulator = Emulator(scenario, ManualClock())
    described = fleet(emulator, "web")
    assert (described["State"], described["ImageName"], described["FleetType"]) == (
        "RUNNING",
        "app-v1",
        "ELASTIC",
    )
    assert described["RootVolumeConfig"] == {"VolumeSizeInGb": 300}
    with pytest.raises(ScenarioError, match="no image 'missing'"):
        Emulator(Scenario.model_validate({"fleets": [{"name": "web", "image": "missing"}]}), ManualClock())
