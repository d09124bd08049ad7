"""How a fleet moves between states once StartFleet or StopFleet sets it going, and takes a new image."""

from __future__ import annotations

from typing import Any

from .account import Account
from .resources import Fleet, Image


def begin_start(account: Account, fleet: Fleet) -> None:
    """STARTING -> RUNNING, or STOPPED with FleetErrors when a fault keeps its instances from launching."""
    fleet.redirect("STARTING")
    errors = _launch_errors(account, fleet)

    def started(when: float) -> None:
        # Instances that cannot launch leave the fleet STOPPED with the reason in FleetErrors.
        fleet.state, fleet.errors = ("STOPPED" if errors else "RUNNING"), errors

    account.after("fleet_start", started, fleet, account.now)


def change_image(account: Account, fleet: Fleet, image: Image) -> None:
    """UpdateFleet's new image: a RUNNING fleet replaces its instances at once; a fault makes them fail."""
    fleet.image_name, fleet.image_arn = image.name, image.arn
    fleet.errors = _launch_errors(account, fleet) if fleet.state == "RUNNING" else []


def _launch_errors(account: Account, fleet: Fleet) -> list[dict[str, Any]]:
    """FleetErrors of instances launched now: empty unless a scenario fault matches the fleet or its image."""
    outcome = account.resource_faults.take("fleet", fleet.name, fleet.image_name or "")
    if outcome is None:
        return []
    return [{"ErrorCode": "INTERNAL_SERVICE_ERROR", "ErrorMessage": outcome.reason}]


def begin_stop(account: Account, fleet: Fleet) -> None:
    """STOPPING -> STOPPED."""
    fleet.redirect("STOPPING")
    account.after("fleet_stop", lambda when: setattr(fleet, "state", "STOPPED"), fleet, account.now)
