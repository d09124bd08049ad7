"""The events the retention state machine sends its tasks."""

from __future__ import annotations

from functions.core.events import LifecyclePlanEvent
from functions.workflows.retention.policy import RetentionPhase


class RetentionEvent(LifecyclePlanEvent):
    retention: RetentionPhase
