"""What CreateFleet and UpdateFleet accept beyond botocore's model: the API reference's rules.

The model types ComputeCapacity, the Elastic-only members and the timeouts as bare structures and
integers; the seed says which fleet types take which member and gives the ranges.
"""

from __future__ import annotations

from typing import Any

from ..errors import AppStreamError
from .validation import out_of_range

# Member -> (low, high) in seconds (seed l.1521, l.1531, l.1601; UpdateFleet l.7117, l.7127, l.7185).
TIMEOUT_RANGES = {
    "MaxUserDurationInSeconds": (600, 432000),
    "DisconnectTimeoutInSeconds": (60, 36000),
    "IdleDisconnectTimeoutInSeconds": (60, 36000),
}
ELASTIC_MIN_SUBNETS = 2  # "at least two subnets in different availability zones" (seed l.1499)
ELASTIC_REFUSES = ("ComputeCapacity", "DomainJoinInfo")  # "not allowed for Elastic fleets" (l.1481, l.1563)


def _combination(message: str) -> AppStreamError:
    return AppStreamError("InvalidParameterCombinationException", message)


def check_timeouts(params: dict[str, Any]) -> None:
    for member, (low, high) in TIMEOUT_RANGES.items():
        value = params.get(member)
        if value is None or (member == "IdleDisconnectTimeoutInSeconds" and value == 0):
            continue  # an idle timeout of 0 turns the idle disconnect off (seed l.1601)
        if not low <= value <= high:
            raise out_of_range(member, value, low, high)


def check_capacity(capacity: dict[str, Any], multi_session: bool) -> None:
    """Exactly one of DesiredInstances and DesiredSessions: the one the fleet's kind uses (l.1489-1491)."""
    given = [key for key in ("DesiredInstances", "DesiredSessions") if capacity.get(key) is not None]
    if len(given) != 1:
        raise _combination("ComputeCapacity takes exactly one of DesiredInstances and DesiredSessions.")
    wanted = "DesiredSessions" if multi_session else "DesiredInstances"
    if given[0] != wanted:
        kind = "multi-session" if multi_session else "single-session"
        raise _combination(f"A {kind} fleet gives its capacity as ComputeCapacity.{wanted}.")


def _check_elastic_subnets(vpc: dict[str, Any] | None) -> None:
    subnets = (vpc or {}).get("SubnetIds") or []
    if len(subnets) < ELASTIC_MIN_SUBNETS:
        raise _combination(
            f"An Elastic fleet needs VpcConfig with at least {ELASTIC_MIN_SUBNETS} subnets; "
            f"got {len(subnets)}."
        )


def _check_type_members(params: dict[str, Any], fleet_type: str) -> None:
    """Elastic fleets take no ComputeCapacity or DomainJoinInfo; only they take MaxConcurrentSessions."""
    if fleet_type == "ELASTIC":
        refused = [member for member in ELASTIC_REFUSES if params.get(member) is not None]
        if refused:
            raise _combination(f"Elastic fleets take no {' and no '.join(refused)}.")
    elif params.get("MaxConcurrentSessions") is not None:
        raise _combination("MaxConcurrentSessions is only for Elastic fleets.")  # seed l.1637


def check_new_fleet(params: dict[str, Any], fleet_type: str) -> None:
    check_timeouts(params)
    _check_type_members(params, fleet_type)
    if fleet_type == "ELASTIC":
        if params.get("MaxConcurrentSessions") is None:
            raise _combination("An Elastic fleet needs MaxConcurrentSessions.")  # seed l.1637
        _check_elastic_subnets(params.get("VpcConfig"))
        return
    check_capacity(params.get("ComputeCapacity") or {}, params.get("MaxSessionsPerInstance") is not None)


def check_fleet_update(params: dict[str, Any], fleet_type: str, attributes: dict[str, Any]) -> None:
    """An update keeps the fleet type's rules; members it does not name keep their stored values."""
    check_timeouts(params)
    _check_type_members(params, fleet_type)
    if fleet_type == "ELASTIC":
        if params.get("VpcConfig") is not None:
            _check_elastic_subnets(params["VpcConfig"])
        return
    if params.get("ComputeCapacity") is not None:
        multi_session = (
            params.get("MaxSessionsPerInstance") or attributes.get("MaxSessionsPerInstance")
        ) is not None
        check_capacity(params["ComputeCapacity"], multi_session)
