"""The events the fleet rollout state machine sends its tasks."""

from __future__ import annotations

from typing import Any

from functions.lifecycle.events import LifecyclePlanEvent
from functions.services.fleet_rollout import FleetProgress


class FleetEvent(LifecyclePlanEvent):
    fleet: FleetProgress
    error: dict[str, Any] | None = None  # the caught error a rollback undoes (Error, Cause)
