"""The events the retention state machine sends its tasks."""

from __future__ import annotations

from functions.lifecycle.events import LifecyclePlanEvent
from functions.services.retention import RetentionPhase


class RetentionEvent(LifecyclePlanEvent):
    retention: RetentionPhase
