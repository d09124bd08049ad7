"""Fleet rollout (statemachines/fleet_rollout.asl.json) end to end on the local engine."""

from __future__ import annotations

from typing import Any

import pytest

from tests.lifecycle.fleet_support import (
    ROLLOUT_DEFINITION,
    ROLLOUT_WAITS,
    engine_for,
    fleet,
    fleet_scenario,
    make_fleet,
    make_images,
    run_with_output,
    window_opening_in,
)
from tests.readings import every_reading

pytestmark = pytest.mark.slow
DEFINITION, FAST_WAITS = ROLLOUT_DEFINITION, ROLLOUT_WAITS


def rollout(fleets: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {"name": "web-rollout", "image_name": "app-v2", "fleets": fleets, "waits": FAST_WAITS, **extra}


def outcomes(output: dict[str, Any] | None) -> dict[str, str]:
    assert output is not None
    return {item["fleet"]: item["outcome"] for item in output["fleets"]}


@pytest.mark.usefixtures("deployed_permissions")
@every_reading()
def test_fleets_move_to_the_new_image_in_place_or_with_a_stop(assumptions: dict[str, str]) -> None:
    with engine_for(DEFINITION, fleet_scenario(assumptions=assumptions)) as engine:
        make_images(engine, "app-v1", "app-v2")
        make_fleet(engine, "always-on", "app-v1", fleet_type="ALWAYS_ON")
        make_fleet(engine, "bigger-disk", "app-v1", root_volume_gb=300)
        make_fleet(engine, "elastic", "app-v1", fleet_type="ELASTIC")
        make_fleet(engine, "parked", "app-v1", running=False)
        make_fleet(engine, "current", "app-v2")
        outcome, output = run_with_output(
            engine,
            rollout(
                [
                    {"name": "always-on"},
                    {"name": "bigger-disk", "remove_root_volume": True},
                    {"name": "elastic"},
                    {"name": "parked", "root_volume_gb": 250},
                    {"name": "current"},
                ]
            ),
        )
        fleets = {name: fleet(engine, name) for name in ("always-on", "bigger-disk", "elastic", "parked")}
        calls = engine.counters().appstream_calls_by_operation

    assert outcome.status == "SUCCEEDED", outcome.error
    assert {name: (f["State"], f["ImageName"]) for name, f in fleets.items()} == {
        "always-on": ("RUNNING", "app-v2"),
        "bigger-disk": ("RUNNING", "app-v2"),
        "elastic": ("RUNNING", "app-v2"),
        "parked": ("STOPPED", "app-v2"),  # a stopped fleet is updated and left stopped
    }
    # A deleted volume setting is done whether it reads back absent or as the 200 GB default.
    assert fleets["bigger-disk"].get("RootVolumeConfig") in (None, {"VolumeSizeInGb": 200})
    assert fleets["parked"]["RootVolumeConfig"] == {"VolumeSizeInGb": 250}
    # Only the changes that need a stop stopped a fleet; the Always-On fleet changed in place.
    assert calls["StopFleet"] == 2
    assert outcomes(output) == {
        "always-on": "UPDATED",
        "bigger-disk": "UPDATED",
        "elastic": "UPDATED",
        "parked": "UPDATED",
        "current": "UNCHANGED",
    }
    assert [item["fleet"] for item in output["fleets"]] == [  # type: ignore[index]
        "always-on",
        "bigger-disk",
        "elastic",
        "parked",
        "current",
    ]
    assert {step.name: step.status for step in outcome.steps} == {
        f"rollout:{name}": "SUCCEEDED"
        for name in ("always-on", "bigger-disk", "elastic", "parked", "current")
    }


def test_a_stop_waits_for_the_maintenance_window_while_in_place_changes_go_ahead() -> None:
    with engine_for(DEFINITION) as engine:
        make_images(engine, "app-v1", "app-v2")
        make_fleet(engine, "elastic", "app-v1", fleet_type="ELASTIC")
        make_fleet(engine, "on-demand", "app-v1")
        window = window_opening_in(engine, hours=3)
        started = engine.time.now()
        outcome, output = run_with_output(
            engine, rollout([{"name": "on-demand"}, {"name": "elastic"}], maintenance_window=window)
        )
        stops = [end for end in engine.emulator.phase_ends() if end.phase == "fleet_stop"]
        swapped = fleet(engine, "elastic")

    assert outcome.status == "SUCCEEDED", outcome.error
    assert outcomes(output) == {"on-demand": "UPDATED", "elastic": "UPDATED"}
    assert (swapped["State"], swapped["ImageName"]) == ("RUNNING", "app-v2")
    # The Elastic fleet was stopped only once the window had opened (3 simulated hours in).
    assert [end.subject for end in stops] == ["elastic"]
    assert stops[0].at >= started + 3 * 3600 - 60
    waited = next(step for step in outcome.steps if step.name == "rollout:elastic")
    assert waited.polls > 1


@pytest.mark.parametrize(
    ("extra", "reason"),
    [
        ({"outside_window": "skip"}, "outside the maintenance window"),
        ({"waits": {**FAST_WAITS, "window_hours": 1}}, "does not open within 1 h"),
    ],
)
def test_a_fleet_that_needs_a_stop_outside_the_window_is_skipped_untouched(
    extra: dict[str, Any], reason: str
) -> None:
    with engine_for(DEFINITION) as engine:
        make_images(engine, "app-v1", "app-v2")
        make_fleet(engine, "elastic", "app-v1", fleet_type="ELASTIC")
        window = window_opening_in(engine, hours=5)
        outcome, output = run_with_output(
            engine, rollout([{"name": "elastic"}], maintenance_window=window, **extra)
        )
        untouched = fleet(engine, "elastic")
        calls = engine.counters().appstream_calls_by_operation

    assert outcome.status == "SUCCEEDED", outcome.error
    assert outcomes(output) == {"elastic": "SKIPPED"}
    assert reason in output["fleets"][0]["reason"]  # type: ignore[index]
    assert (untouched["State"], untouched["ImageName"]) == ("RUNNING", "app-v1")
    assert "StopFleet" not in calls and "UpdateFleet" not in calls


@pytest.mark.parametrize(
    ("fleet_type", "faults", "code", "reason"),
    [
        # stop: AppStream keeps refusing to stop the fleet
        (
            "ELASTIC",
            [{"operation": "StopFleet", "error": "ConcurrentModificationException", "times": None}],
            "AppStreamBusy",
            "StopFleet",
        ),
        # update: AppStream refuses the new image for this fleet
        (
            "ELASTIC",
            [{"operation": "UpdateFleet", "error": "IncompatibleImageException", "times": 1}],
            "AppStreamRequestRejected",
            "IncompatibleImageException",
        ),
        # start: instances of the new image cannot launch, the fleet ends STOPPED
        (
            "ELASTIC",
            [{"resource": "fleet", "name": "app-v2", "reason": "instances failed health checks"}],
            "FleetUpdateFailed",
            "instances failed health checks",
        ),
        # verify: an in-place image swap leaves FleetErrors on the RUNNING fleet
        (
            "ON_DEMAND",
            [{"resource": "fleet", "name": "app-v2", "reason": "image cannot join the domain"}],
            "FleetUpdateFailed",
            "image cannot join the domain",
        ),
    ],
)
@pytest.mark.usefixtures("deployed_permissions")
def test_a_fault_in_any_phase_rolls_the_fleet_back_and_stops_the_rollout(
    fleet_type: str, faults: list[dict[str, Any]], code: str, reason: str
) -> None:
    with engine_for(DEFINITION, fleet_scenario(faults)) as engine:
        make_images(engine, "app-v1", "app-v2")
        make_fleet(engine, "first", "app-v1", fleet_type=fleet_type)
        make_fleet(engine, "second", "app-v1")
        outcome, _ = run_with_output(engine, rollout([{"name": "first"}, {"name": "second"}]))
        first, second = fleet(engine, "first"), fleet(engine, "second")

    assert outcome.status == "FAILED"
    assert outcome.error is not None
    assert (outcome.error.step, outcome.error.code) == ("rollout:first", code)
    assert reason in outcome.error.message
    # No leftovers: the failed fleet is back on its image and running; the next fleet was not touched.
    assert (first["State"], first["ImageName"], first.get("FleetErrors")) == ("RUNNING", "app-v1", None)
    assert (second["State"], second["ImageName"]) == ("RUNNING", "app-v1")
    assert outcome.record is not None
    assert outcome.record["status"] == "FAILED"
    assert "rollout:second" not in [step.name for step in outcome.steps]


def test_a_rollback_that_fails_too_is_named_in_the_cause() -> None:
    faults = [
        {"resource": "fleet", "name": "app-v2", "reason": "instances failed health checks"},
        # The fleet's first start (before the run) and the rollout's start pass; the rollback's is refused.
        {"operation": "StartFleet", "error": "ResourceNotAvailableException", "after": 2, "times": None},
    ]
    with engine_for(DEFINITION, fleet_scenario(faults)) as engine:
        make_images(engine, "app-v1", "app-v2")
        make_fleet(engine, "first", "app-v1", fleet_type="ELASTIC")
        outcome, _ = run_with_output(engine, rollout([{"name": "first"}]))
        cause = engine.executions[-1].describe()["cause"]
        first = fleet(engine, "first")

    assert outcome.status == "FAILED"
    assert outcome.error is not None
    assert (outcome.error.step, outcome.error.code) == ("rollout:first", "FleetUpdateFailed")
    assert "cleanup also failed" in cause and "ResourceNotAvailableException" in cause
    statuses = {step.name: step.status for step in outcome.steps}
    assert statuses == {"rollout:first": "FAILED", "rollback:first": "FAILED"}
    # Back on its image but stopped: the cause tells a person to start it.
    assert (first["State"], first["ImageName"]) == ("STOPPED", "app-v1")


def test_a_missing_fleet_fails_the_run_before_anything_changes() -> None:
    with engine_for(DEFINITION) as engine:
        make_images(engine, "app-v1", "app-v2")
        make_fleet(engine, "real", "app-v1")
        outcome, _ = run_with_output(engine, rollout([{"name": "ghost"}, {"name": "real"}]))
        real = fleet(engine, "real")
        calls = engine.counters().appstream_calls_by_operation

    assert outcome.status == "FAILED"
    assert outcome.error is not None
    assert (outcome.error.step, outcome.error.code) == ("rollout:ghost", "AppStreamRequestRejected")
    assert real["ImageName"] == "app-v1"
    assert "UpdateFleet" not in calls


def test_an_invalid_request_names_every_bad_field() -> None:
    with engine_for(DEFINITION) as engine:
        outcome, _ = run_with_output(
            engine,
            {
                "name": "web-rollout",
                "image_name": "app-v2",
                "fleets": [{"name": "a", "root_volume_gb": 300, "remove_root_volume": True}],
                "maintenance_window": {"time_zone": "Mars/Olympus", "start": "02:00", "end": "02:00"},
            },
        )

    assert outcome.status == "FAILED"
    assert outcome.error is not None
    assert outcome.error.code == "InvalidPipelineRequest"
    for field in ("fleets.0", "maintenance_window.time_zone"):
        assert field in outcome.error.message
