"""What a run cost: builder hours, storage above 200 GB, state transitions, Lambda GB-seconds.

Computed from the run's records (the builder lives from its step's start until cleanup ends)
and, for a local run, the engine's counters. The prices come from the configuration
(`prices:`); nothing is fetched. What the records cannot tell is shown as unknown, not zero.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from image_factory.local_engine.outcome import simulated_epoch_of
from stacks.config_prices import Prices

DEFAULT_VOLUME_GB = 200  # AppStream's default root volume: only the volume above it is extra
HOURS_PER_MONTH = 730


@dataclass(frozen=True)
class CostItem:
    what: str
    quantity: str
    amount: float | None  # None: the records do not tell


@dataclass(frozen=True)
class RunCost:
    currency: str
    items: tuple[CostItem, ...]

    @property
    def total(self) -> float:
        return sum(item.amount or 0.0 for item in self.items)

    def line(self) -> str:
        parts = [f"{item.what} {item.quantity}: {_money(item.amount)}" for item in self.items]
        return f"Cost ({self.currency}): {'; '.join(parts)}; total {_money(self.total)}"

    def to_document(self) -> dict[str, Any]:
        return {
            "currency": self.currency,
            "total": round(self.total, 6),
            "items": [
                {"what": item.what, "quantity": item.quantity, "amount": _rounded(item.amount)}
                for item in self.items
            ],
        }


def run_cost(run: dict[str, Any], prices: Prices, counters: dict[str, Any] | None = None) -> RunCost:
    """The cost of `run` (the API's shape of a run); `counters`: the local engine's, if any."""
    items = _builder_items(run, prices)
    transitions = (counters or {}).get("state_transitions")
    gb_seconds = (counters or {}).get("lambda_gb_seconds")
    items += [
        CostItem(
            "state transitions",
            "unknown" if transitions is None else f"{transitions}",
            None if transitions is None else transitions / 1000 * prices.state_transitions_1000,
        ),
        CostItem(
            "Lambda",
            "unknown" if gb_seconds is None else f"{gb_seconds:.1f} GB-s",
            None if gb_seconds is None else gb_seconds * prices.lambda_gb_second,
        ),
    ]
    return RunCost(prices.currency, tuple(items))


def _builder_items(run: dict[str, Any], prices: Prices) -> list[CostItem]:
    """The builder's hours at its instance type's rate, and its volume above the default."""
    steps = {step["step"]: step for step in run.get("steps", [])}
    if "builder" not in steps:
        return []  # a run that makes no builder (a lifecycle run) pays for none
    shape = dict(steps["builder"].get("resource") or {})
    hours = _builder_hours(run, steps)
    extra_gb = max(int(shape.get("root_volume_gb") or DEFAULT_VOLUME_GB) - DEFAULT_VOLUME_GB, 0)
    return [
        CostItem(
            "image builder",
            f"{hours:.2f} h of {shape.get('instance_type') or 'an instance'}",
            hours * prices.builder_rate(shape.get("instance_type")),
        ),
        CostItem(
            "storage",
            f"{extra_gb} GB above {DEFAULT_VOLUME_GB} for {hours:.2f} h",
            extra_gb * hours / HOURS_PER_MONTH * prices.storage_gb_month,
        ),
    ]


def _builder_hours(run: dict[str, Any], steps: dict[str, dict[str, Any]]) -> float:
    """From the builder step's start (its create call) to the end of cleanup, which deletes it."""
    created = simulated_epoch_of(steps.get("builder", {}).get("started_at"))
    if created is None:
        return 0.0
    ends = (steps.get("cleanup", {}).get("ended_at"), run.get("finished_at"))
    gone = next((moment for moment in map(simulated_epoch_of, ends) if moment is not None), None)
    return max((gone or created) - created, 0.0) / 3600


def _money(amount: float | None) -> str:
    if amount is None:
        return "unknown"
    return f"{amount:.2f}" if amount >= 0.01 or amount == 0 else "< 0.01"


def _rounded(amount: float | None) -> float | None:
    return None if amount is None else round(amount, 6)
