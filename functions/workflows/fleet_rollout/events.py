"""The events the fleet rollout state machine sends its tasks."""

from __future__ import annotations

from typing import Any

from functions.core.events import LifecyclePlanEvent
from functions.workflows.fleet_rollout.rollout import FleetProgress, RollbackProgress


class RolloutEvent(LifecyclePlanEvent):
    rollout: FleetProgress


class RollbackEvent(RolloutEvent):
    rollback: RollbackProgress
    error: dict[str, Any] | None = None  # the caught error a rollback undoes (Error, Cause)
