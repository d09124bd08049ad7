"""The cost line: builder hours from its step's start to cleanup's end, volume above 200 GB only."""

from __future__ import annotations

import pytest

from image_factory.costs import run_cost
from stacks.config_prices import Prices

PRICES = Prices(
    builder_hour=1.0,
    builder_hour_by_instance_type={"stream.standard.large": 2.0},
    storage_gb_month=7.3,
    state_transitions_1000=0.5,
    lambda_gb_second=0.01,
)


def run(root_volume_gb: int, instance_type: str = "stream.standard.large") -> dict[str, object]:
    return {
        "run_id": "r",
        "status": "SUCCEEDED",
        "started_at": "2026-12-03T10:00:00Z",
        "finished_at": "2026-12-03T14:00:00Z",
        "steps": [
            {
                "step": "builder",
                "status": "SUCCEEDED",
                "started_at": "2026-12-03T11:00:00Z",
                "resource": {"instance_type": instance_type, "root_volume_gb": root_volume_gb},
            },
            {"step": "cleanup", "status": "SUCCEEDED", "ended_at": "2026-12-03T13:30:00Z"},
        ],
    }


def test_the_builder_bills_from_its_creation_to_the_end_of_cleanup_at_its_type_s_rate() -> None:
    cost = run_cost(run(300), PRICES, {"state_transitions": 2000, "lambda_gb_seconds": 10.0})

    amounts = {item.what: item.amount for item in cost.items}
    assert amounts["image builder"] == pytest.approx(2.5 * 2.0)
    # 100 GB above the default, for 2.5 of a month's 730 hours.
    assert amounts["storage"] == pytest.approx(100 * 2.5 / 730 * 7.3)
    assert amounts["state transitions"] == pytest.approx(1.0)
    assert amounts["Lambda"] == pytest.approx(0.1)
    assert cost.total == pytest.approx(5.0 + 100 * 2.5 / 730 * 7.3 + 1.1)


def test_the_default_volume_costs_nothing_extra_and_other_types_take_the_base_rate() -> None:
    cost = run_cost(run(200, "stream.memory.large"), PRICES)

    amounts = {item.what: item.amount for item in cost.items}
    assert amounts["image builder"] == pytest.approx(2.5)
    assert amounts["storage"] == 0


def test_what_the_records_cannot_tell_is_unknown_not_zero() -> None:
    cost = run_cost(run(300), PRICES)

    line = cost.line()
    assert "state transitions unknown: unknown" in line and "Lambda unknown: unknown" in line
    assert cost.to_document()["items"][2]["amount"] is None


def test_a_run_that_makes_no_builder_pays_for_none() -> None:
    cost = run_cost({"run_id": "r", "status": "SUCCEEDED", "steps": [{"step": "selection"}]}, PRICES)

    assert [item.what for item in cost.items] == ["state transitions", "Lambda"]
