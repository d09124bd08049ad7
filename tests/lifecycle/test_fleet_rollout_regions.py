"""Fleet rollout across regions: each fleet moves to the image's copy in its own region."""

from __future__ import annotations

from typing import Any

import pytest

from functions.workflows.fleet_rollout.request import parse_request
from tests.lifecycle.fleet_support import (
    ROLLOUT_DEFINITION,
    ROLLOUT_WAITS,
    copy_image,
    engine_for,
    fleet,
    fleet_scenario,
    make_fleet,
    make_images,
    run_with_output,
)

pytestmark = pytest.mark.slow
ELSEWHERE = "eu-west-1"


def rollout(fleets: list[dict[str, Any]]) -> dict[str, Any]:
    return {"name": "web-rollout", "image_name": "app-v2", "fleets": fleets, "waits": ROLLOUT_WAITS}


@pytest.mark.usefixtures("deployed_permissions")
def test_fleets_of_the_same_name_in_two_regions_each_move_to_the_image_of_their_region() -> None:
    with engine_for(ROLLOUT_DEFINITION) as engine:
        make_images(engine, "app-v1", "app-v2")
        copy_image(engine, "app-v1", ELSEWHERE)
        copy_image(engine, "app-v2", ELSEWHERE)
        make_fleet(engine, "web", "app-v1")
        make_fleet(engine, "web", "app-v1", fleet_type="ELASTIC", region=ELSEWHERE)
        outcome, output = run_with_output(
            engine, rollout([{"name": "web"}, {"name": "web", "region": ELSEWHERE}])
        )
        here, there = fleet(engine, "web"), fleet(engine, "web", ELSEWHERE)

    assert outcome.status == "SUCCEEDED", outcome.error
    assert (here["State"], here["ImageName"]) == ("RUNNING", "app-v2")
    assert (there["State"], there["ImageName"]) == ("RUNNING", "app-v2")
    # The fleet of eu-west-1 streams the copy there, not the image of the stack's region.
    assert f":{ELSEWHERE}:" in there["ImageArn"] and f":{ELSEWHERE}:" not in here["ImageArn"]
    assert [step.name for step in outcome.steps] == ["rollout:web", f"rollout:{ELSEWHERE}/web"]
    assert output is not None
    assert [(item["fleet"], item.get("region"), item["outcome"]) for item in output["fleets"]] == [
        ("web", None, "UPDATED"),
        ("web", ELSEWHERE, "UPDATED"),
    ]


def test_a_region_without_a_copy_of_the_image_fails_the_rollout_before_any_fleet_changes() -> None:
    with engine_for(ROLLOUT_DEFINITION) as engine:
        make_images(engine, "app-v1", "app-v2")
        copy_image(engine, "app-v1", ELSEWHERE)  # the new image was never copied there
        make_fleet(engine, "web", "app-v1")
        make_fleet(engine, "web", "app-v1", region=ELSEWHERE)
        outcome, _ = run_with_output(engine, rollout([{"name": "web"}, {"name": "web", "region": ELSEWHERE}]))
        here = fleet(engine, "web")
        calls = engine.counters().appstream_calls_by_operation

    assert outcome.status == "FAILED"
    assert outcome.error is not None
    assert (outcome.error.step, outcome.error.code) == ("rollout:web", "FleetUpdateFailed")
    assert f"{ELSEWHERE} (no copy)" in outcome.error.message
    assert "distribute.copy_to_regions" in outcome.error.message
    assert here["ImageName"] == "app-v1"
    assert "UpdateFleet" not in calls and "StopFleet" not in calls


@pytest.mark.usefixtures("deployed_permissions")
def test_a_fault_in_the_other_region_rolls_that_fleet_back_there() -> None:
    faults = [
        {"operation": "UpdateFleet", "error": "IncompatibleImageException", "times": 1, "region": ELSEWHERE}
    ]
    with engine_for(ROLLOUT_DEFINITION, fleet_scenario(faults)) as engine:
        make_images(engine, "app-v1", "app-v2")
        copy_image(engine, "app-v1", ELSEWHERE)
        copy_image(engine, "app-v2", ELSEWHERE)
        make_fleet(engine, "web", "app-v1")
        make_fleet(engine, "web", "app-v1", fleet_type="ELASTIC", region=ELSEWHERE)
        outcome, _ = run_with_output(engine, rollout([{"name": "web"}, {"name": "web", "region": ELSEWHERE}]))
        here, there = fleet(engine, "web"), fleet(engine, "web", ELSEWHERE)

    assert outcome.status == "FAILED"
    assert outcome.error is not None
    assert (outcome.error.step, outcome.error.code) == (
        f"rollout:{ELSEWHERE}/web",
        "AppStreamRequestRejected",
    )
    # The stack's region moved first and keeps the new image; the failed fleet is back where it was.
    assert (here["State"], here["ImageName"]) == ("RUNNING", "app-v2")
    assert (there["State"], there["ImageName"]) == ("RUNNING", "app-v1")
    assert {step.name: step.status for step in outcome.steps} == {
        "rollout:web": "SUCCEEDED",
        f"rollout:{ELSEWHERE}/web": "FAILED",
        f"rollback:{ELSEWHERE}/web": "SUCCEEDED",
    }


def test_a_fleet_is_named_once_per_region_and_only_in_a_region_appstream_serves() -> None:
    fleets = [{"name": "web"}, {"name": "web", "region": ELSEWHERE}]
    assert not isinstance(parse_request(rollout(fleets)), list)

    errors = parse_request(rollout([*fleets, {"name": "web", "region": ELSEWHERE}]))
    assert isinstance(errors, list)
    assert [(error.field, f"{ELSEWHERE}/web" in error.message) for error in errors] == [("fleets", True)]

    errors = parse_request(rollout([{"name": "web", "region": "xx-nowhere-9"}]))
    assert isinstance(errors, list)
    assert [error.field for error in errors] == ["fleets.0.region"]
    assert "not available in xx-nowhere-9" in errors[0].message
