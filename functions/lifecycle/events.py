"""The events every lifecycle state machine sends its tasks (the `Payload` of each Task state).

Each workflow's own events live beside it (`backup_events`, `update_events`, `rollout_events`,
`retention_events`), so a task loads the models of its own workflow only.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from functions.execution import Execution
from functions.lifecycle.plan import LifecyclePlan


class LifecycleValidateEvent(BaseModel):
    workflow: str
    request: Any  # the execution input, validated by the task itself
    execution: Execution


class LifecyclePlanEvent(BaseModel):
    plan: LifecyclePlan


class LifecycleSuccessEvent(LifecyclePlanEvent):
    result: dict[str, Any] = Field(default_factory=dict)
