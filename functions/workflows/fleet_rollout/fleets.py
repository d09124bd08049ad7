"""Moving one fleet to a desired image and root volume, a call at a time, following UpdateFleet's rules.

A RUNNING Always-On or On-Demand fleet may change its image in place; an Elastic fleet,
or a change of the root volume, needs the fleet STOPPED first. Each call looks at the
fleet and makes the one next move (stop, update, start), so the state machine can wait
between calls and a repeated call never repeats a move the fleet already shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from functions.core import appstream, clients
from functions.core.errors import ImageFactoryError
from functions.workflows.fleet_rollout.request import FleetTarget

if TYPE_CHECKING:
    from mypy_boto3_appstream import AppStreamClient

TRANSITIONAL = ("STARTING", "STOPPING")
DEFAULT_ROOT_VOLUME_GB = 200  # the seed: "The default is 200 GB" (UpdateFleet RootVolumeConfig)


@dataclass(frozen=True)
class Desired:
    image: str
    target: FleetTarget  # the fleet's name and what happens to its root volume

    @property
    def name(self) -> str:
        return self.target.name

    @property
    def label(self) -> str:
        return self.target.label


@dataclass(frozen=True)
class Move:
    state: str  # the fleet's state as last seen
    done: bool
    start_requested: bool
    action: str | None  # what this call did to the fleet, if anything


def client(target: FleetTarget) -> AppStreamClient:
    """AppStream where the fleet is: its own region, or the stack's."""
    return clients.appstream_in(target.region)


def describe(target: FleetTarget) -> dict[str, Any]:
    fleets = appstream.call(
        f"DescribeFleets {target.label!r}", client(target).describe_fleets, Names=[target.name]
    )["Fleets"]
    return dict(fleets[0])


def root_volume_gb(fleet: dict[str, Any]) -> int | None:
    size = (fleet.get("RootVolumeConfig") or {}).get("VolumeSizeInGb")
    return int(size) if size is not None else None


def fleet_errors(fleet: dict[str, Any]) -> str:
    return "; ".join(
        f"{item.get('ErrorCode', 'UNKNOWN')}: {item.get('ErrorMessage', '')}".strip()
        for item in fleet.get("FleetErrors") or []
    )


def volume_matches(fleet: dict[str, Any], target: FleetTarget) -> bool:
    if target.root_volume_gb is not None:
        return root_volume_gb(fleet) == target.root_volume_gb
    if target.remove_root_volume:
        return volume_is_default(fleet)
    return True


def volume_is_default(fleet: dict[str, Any]) -> bool:
    """No RootVolumeConfig, or the default size: the sources do not say which one a deleted setting
    reads back as (docs/emulator-fidelity.md, UpdateFleet), so a removal is done at either."""
    return root_volume_gb(fleet) in (None, DEFAULT_ROOT_VOLUME_GB)


def on_target(fleet: dict[str, Any], desired: Desired) -> bool:
    return fleet.get("ImageName") == desired.image and volume_matches(fleet, desired.target)


def needs_stop(fleet: dict[str, Any], desired: Desired) -> bool:
    """Whether reaching `desired` means stopping this fleet first (the seed's UpdateFleet rules)."""
    if fleet.get("State") != "RUNNING" or on_target(fleet, desired):
        return False
    return fleet.get("FleetType") == "ELASTIC" or not volume_matches(fleet, desired.target)


def step_towards(
    desired: Desired,
    expect_running: bool,
    start_requested: bool,
    failure: type[ImageFactoryError],
    label: str,
) -> Move:
    """Make the next move of `desired`'s fleet; raise `failure` when it cannot get there."""
    fleet = describe(desired.target)
    state = str(fleet.get("State"))
    if state in TRANSITIONAL:
        return Move(state, False, start_requested, None)
    action = None
    if not on_target(fleet, desired):
        if needs_stop(fleet, desired):
            _fleet_call("StopFleet", desired.target)
            return Move("STOPPING", False, start_requested, "stopped")
        _update(fleet, desired)
        if state == "RUNNING":  # replaced in place: verify on the next call
            return Move(state, False, start_requested, "updated in place")
        action = "updated"
    if expect_running and state == "STOPPED":
        if start_requested:
            raise failure(f"{label}: fleet did not start: {fleet_errors(fleet) or 'no FleetErrors given'}")
        _fleet_call("StartFleet", desired.target)
        return Move("STARTING", False, True, f"{action} and started" if action else "started")
    problems = fleet_errors(fleet)
    if problems and action is None:
        raise failure(f"{label}: fleet is {state} with errors: {problems}")
    return Move(state, action is None, start_requested, action)


def _update(fleet: dict[str, Any], desired: Desired) -> None:
    params: dict[str, Any] = {"Name": desired.name, "ImageName": desired.image}
    target = desired.target
    if target.root_volume_gb is not None and root_volume_gb(fleet) != target.root_volume_gb:
        params["RootVolumeConfig"] = {"VolumeSizeInGb": target.root_volume_gb}
    if target.remove_root_volume and not volume_is_default(fleet):
        params["AttributesToDelete"] = ["VOLUME_CONFIGURATION"]
    appstream.call(f"UpdateFleet {desired.label!r}", client(target).update_fleet, **params)


def _fleet_call(operation: str, target: FleetTarget) -> None:
    fleets = client(target)
    method = fleets.stop_fleet if operation == "StopFleet" else fleets.start_fleet
    appstream.call(f"{operation} {target.label!r}", method, Name=target.name)
