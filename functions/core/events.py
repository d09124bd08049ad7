"""The events the state machines send the tasks every workflow shares (the `Payload` of each Task
state): a lifecycle run's plan, its validation and success, and any run's failure.

Each workflow's own events live in its package (`functions.workflows.<workflow>.events`), so a
task loads the models of its own workflow only.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from functions.core.execution import Execution
from functions.core.model import Model
from functions.core.plan import LifecyclePlan


class LifecycleValidateEvent(Model):
    workflow: str
    request: Any  # the execution input, validated by the task itself
    execution: Execution


class LifecyclePlanEvent(Model):
    plan: LifecyclePlan


class LifecycleSuccessEvent(LifecyclePlanEvent):
    result: dict[str, Any] = Field(default_factory=dict)


class FailureEvent(Model):
    document: dict[str, Any] = Field(description="the whole state, with the caught error")
    execution: Execution
