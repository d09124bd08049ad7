"""The events the managed update state machine sends its tasks."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from functions.core.events import LifecyclePlanEvent
from functions.workflows.managed_update.updates import UpdateCleanup, UpdatePhase


class UpdateEvent(LifecyclePlanEvent):
    update: UpdatePhase


class UpdateCleanupEvent(LifecyclePlanEvent):
    update: UpdatePhase | None = None
    cleanup: UpdateCleanup = Field(default_factory=UpdateCleanup)
    error: dict[str, Any] | None = None  # set when the run failed: cleanup then deletes what it made
