"""The maintenance window and the fleet rollout request, without an engine."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from functions.workflows.fleet_rollout.maintenance_window import MaintenanceWindow
from functions.workflows.fleet_rollout.request import FleetRolloutRequest, parse_request


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


WEEKEND_NIGHTS = MaintenanceWindow(days=["SAT", "SUN"], start="22:00", end="04:00", time_zone="UTC")


@pytest.mark.parametrize(
    ("moment", "opens_in_hours"),
    [
        ("2026-11-28T23:00:00", 0),  # Saturday night, inside
        ("2026-11-30T03:59:00", 0),  # Sunday's window runs past midnight into Monday
        ("2026-11-30T04:00:00", 5 * 24 + 18),  # Monday 04:00: closed until Saturday 22:00
        ("2026-11-28T21:00:00", 1),  # Saturday, an hour before it opens
    ],
)
def test_a_window_past_midnight_is_open_into_the_next_day(moment: str, opens_in_hours: float) -> None:
    assert WEEKEND_NIGHTS.seconds_until_open(at(moment)) == opens_in_hours * 3600


def test_a_window_is_read_in_its_own_time_zone_across_daylight_saving() -> None:
    berlin = MaintenanceWindow(days=["SUN"], start="02:00", end="05:00", time_zone="Europe/Berlin")
    # Sunday 25 Oct 2026 ends summer time at 01:00 UTC: until then 02:00 in Berlin is 00:00 UTC.
    assert berlin.seconds_until_open(at("2026-10-24T23:30:00")) == 30 * 60
    assert berlin.seconds_until_open(at("2026-10-25T00:30:00")) == 0
    # In winter, 02:00 Berlin is 01:00 UTC.
    assert berlin.seconds_until_open(at("2026-11-29T01:00:00")) == 0
    assert berlin.seconds_until_open(at("2026-11-29T04:00:00")) == 7 * 24 * 3600 - 3 * 3600


def test_a_request_names_every_bad_field() -> None:
    problems = parse_request(
        {
            "name": "web",
            "image_name": "app",
            "fleets": [
                {"name": "a", "root_volume_gb": 600},
                {"name": "b", "remove_root_volume": True},
                {"name": "b"},
            ],
            "maintenance_window": {
                "days": ["SAT", "SAT"],
                "start": "25:00",
                "end": "02:00",
                "time_zone": "Nowhere",
            },
            "outside_window": "ignore",
        }
    )

    assert isinstance(problems, list)
    fields = {problem.field for problem in problems}
    assert {
        "fleets.0.root_volume_gb",
        "maintenance_window.days",
        "maintenance_window.start",
        "maintenance_window.time_zone",
        "outside_window",
    } <= fields


def test_repeated_fleets_are_refused_and_defaults_are_safe() -> None:
    assert isinstance(
        parse_request({"name": "w", "image_name": "i", "fleets": [{"name": "a"}, {"name": "a"}]}), list
    )
    request = parse_request({"name": "w", "image_name": "i", "fleets": [{"name": "a"}]})
    assert isinstance(request, FleetRolloutRequest)
    assert (request.rollback, request.outside_window, request.maintenance_window) == (True, "wait", None)
