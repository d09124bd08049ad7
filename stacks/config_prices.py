"""The prices a run's cost line is computed with: configuration, never fetched.

The defaults are illustrative round figures, not a price list: set your region's and your
agreement's prices under `prices:` in the configuration file.
"""

from __future__ import annotations

from pydantic import Field

from stacks.config_schedule import Strict


class Prices(Strict):
    currency: str = Field("USD", min_length=1, max_length=8)
    builder_hour: float = Field(
        0.25, ge=0, description="an image builder instance, per hour (instance types not listed below)"
    )
    builder_hour_by_instance_type: dict[str, float] = Field(
        default_factory=dict, description='per instance type, e.g. {"stream.standard.large": 0.2}'
    )
    storage_gb_month: float = Field(
        0.1, ge=0, description="root volume above the 200 GB default, per GB-month (730 hours)"
    )
    state_transitions_1000: float = Field(0.025, ge=0, description="Step Functions, per 1,000 transitions")
    lambda_gb_second: float = Field(0.0000166667, ge=0, description="Lambda compute, per GB-second")

    def builder_rate(self, instance_type: str | None) -> float:
        return self.builder_hour_by_instance_type.get(instance_type or "", self.builder_hour)
