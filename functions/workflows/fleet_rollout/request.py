"""The fleet rollout request: which fleets move to which image, and when a fleet may be stopped."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from functions.core.regions import REGION_CODE, refuse_unserved
from functions.core.request_fields import (
    RESOURCE_NAME,
    FieldError,
    LifecycleRequest,
    PhaseWait,
    Section,
    VolumeGb,
    json_schema,
    parse_model,
)
from functions.workflows.fleet_rollout.maintenance_window import MaintenanceWindow

MAX_FLEETS = 50


class FleetTarget(Section):
    """One fleet to point at the image, optionally changing its root volume on the way."""

    name: str = Field(pattern=RESOURCE_NAME.pattern)
    region: str | None = Field(
        None,
        pattern=REGION_CODE,
        description="the fleet's region, if not the stack's: the fleet moves to the image's copy there "
        "(distribute.copy_to_regions makes it, named as the image)",
    )
    root_volume_gb: VolumeGb | None = Field(
        None, description="set RootVolumeConfig (needs the fleet stopped)"
    )
    remove_root_volume: bool = Field(
        False, description="delete RootVolumeConfig (AttributesToDelete VOLUME_CONFIGURATION; needs a stop)"
    )

    @field_validator("region")
    @classmethod
    def _appstream_region(cls, region: str | None) -> str | None:
        if region is not None:
            refuse_unserved([region])
        return region

    @property
    def label(self) -> str:
        """The fleet as its steps name it: `<region>/<name>` in another region, else its name."""
        return f"{self.region}/{self.name}" if self.region else self.name

    @model_validator(mode="after")
    def _set_or_remove(self) -> FleetTarget:
        if self.root_volume_gb is not None and self.remove_root_volume:
            raise ValueError("give root_volume_gb or remove_root_volume, not both")
        return self


class RolloutWaits(Section):
    fleet: PhaseWait = Field(
        default_factory=PhaseWait, description="stop, update, start and verify one fleet"
    )
    rollback: PhaseWait = Field(default_factory=PhaseWait)
    window_hours: float = Field(
        168,
        gt=0,
        le=720,
        description="how long a fleet waits for its maintenance window before it is SKIPPED",
    )


class FleetRolloutRequest(LifecycleRequest):
    """Point fleets at a new image, one fleet at a time; stop a fleet only inside the maintenance window."""

    image_name: str = Field(pattern=RESOURCE_NAME.pattern, description="the AVAILABLE image to roll out")
    fleets: list[FleetTarget] = Field(min_length=1, max_length=MAX_FLEETS, description="rolled out in order")
    maintenance_window: MaintenanceWindow | None = Field(
        None, description="when a fleet that needs a stop may be stopped; without one, at any time"
    )
    outside_window: Literal["wait", "skip"] = Field(
        "wait", description="a fleet needing a stop outside the window: wait for it, or skip the fleet"
    )
    rollback: bool = Field(True, description="on failure, put the fleet back on its previous image")
    waits: RolloutWaits = Field(default_factory=RolloutWaits)

    @field_validator("fleets")
    @classmethod
    def _unique_fleets(cls, fleets: list[FleetTarget]) -> list[FleetTarget]:
        names = [fleet.label for fleet in fleets]
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise ValueError(f"each fleet may appear once; repeated: {', '.join(repeated)}")
        return fleets

    def summary(self) -> str:
        window = self.maintenance_window.describe() if self.maintenance_window else "any time"
        return f"roll out {self.image_name} to {len(self.fleets)} fleet(s); stops allowed {window}"


def parse_request(raw: Any) -> FleetRolloutRequest | list[FieldError]:
    return parse_model(FleetRolloutRequest, raw)


def request_json_schema() -> dict[str, Any]:
    return json_schema(FleetRolloutRequest, "Image Factory fleet rollout request")
