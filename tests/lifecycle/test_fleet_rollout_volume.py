"""Fleet rollout of an image larger than the 200 GB default: no fleet may end below its size."""

from __future__ import annotations

from typing import Any

import pytest

from functions.core import names
from tests.lifecycle.fleet_support import (
    ROLLOUT_DEFINITION,
    ROLLOUT_WAITS,
    engine_for,
    fleet,
    fleet_scenario,
    make_fleet,
    make_images,
    run_with_output,
)
from tests.readings import every_reading

pytestmark = pytest.mark.slow
DEFINITION, FAST_WAITS = ROLLOUT_DEFINITION, ROLLOUT_WAITS
# An image a pipeline made with a 300 GB builder: the emulator holds its size, its tag says it.
LARGE_IMAGE = {"name": "app-v2", "volume_gb": 300, "tags": {names.TAG_VOLUME_GB: "300"}}


def rollout(fleets: list[dict[str, Any]]) -> dict[str, Any]:
    return {"name": "web-rollout", "image_name": "app-v2", "fleets": fleets, "waits": FAST_WAITS}


@every_reading()
def test_a_fleet_that_would_end_below_the_image_fails_the_rollout_before_any_fleet_stops(
    assumptions: dict[str, str],
) -> None:
    with engine_for(DEFINITION, fleet_scenario(images=[LARGE_IMAGE], assumptions=assumptions)) as engine:
        make_images(engine, "app-v1")
        make_fleet(engine, "fits", "app-v1", root_volume_gb=300)
        make_fleet(engine, "unset", "app-v1")
        make_fleet(engine, "removed", "app-v1", root_volume_gb=300)
        outcome, _ = run_with_output(
            engine,
            rollout([{"name": "fits"}, {"name": "unset"}, {"name": "removed", "remove_root_volume": True}]),
        )
        images = {name: fleet(engine, name)["ImageName"] for name in ("fits", "unset", "removed")}
        calls = engine.counters().appstream_calls_by_operation

    assert outcome.status == "FAILED" and outcome.error is not None
    assert (outcome.error.step, outcome.error.code) == ("rollout:fits", "FleetUpdateFailed")
    # Both sizes, and every fleet that would not fit: the one without a setting and the one losing it.
    assert "300 GB" in outcome.error.message
    assert "unset (200 GB)" in outcome.error.message and "removed (200 GB)" in outcome.error.message
    assert "fits (" not in outcome.error.message
    assert images == {"fits": "app-v1", "unset": "app-v1", "removed": "app-v1"}
    assert "StopFleet" not in calls and "UpdateFleet" not in calls


@pytest.mark.usefixtures("deployed_permissions")
def test_fleets_given_a_root_volume_as_large_as_the_image_move_to_it() -> None:
    with engine_for(DEFINITION, fleet_scenario(images=[LARGE_IMAGE])) as engine:
        make_images(engine, "app-v1")
        make_fleet(engine, "unset", "app-v1")
        make_fleet(engine, "larger", "app-v1", root_volume_gb=400)
        outcome, _ = run_with_output(
            engine, rollout([{"name": "unset", "root_volume_gb": 300}, {"name": "larger"}])
        )
        moved = {name: fleet(engine, name) for name in ("unset", "larger")}

    assert outcome.status == "SUCCEEDED", outcome.error
    assert {name: (f["ImageName"], f["RootVolumeConfig"]) for name, f in moved.items()} == {
        "unset": ("app-v2", {"VolumeSizeInGb": 300}),
        "larger": ("app-v2", {"VolumeSizeInGb": 400}),
    }
