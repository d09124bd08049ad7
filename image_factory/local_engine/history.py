"""Reading an execution's event history: which states ran, how often, and how it ended."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

Event = Mapping[str, Any]

_LAMBDA_SCHEDULED = ("LambdaFunctionScheduled", "TaskScheduled")
_LAMBDA_FAILED = ("LambdaFunctionFailed", "LambdaFunctionTimedOut", "TaskFailed", "TaskTimedOut")
_EXECUTION_ENDS = {
    "ExecutionSucceeded": "SUCCEEDED",
    "ExecutionFailed": "FAILED",
    "ExecutionAborted": "ABORTED",
    "ExecutionTimedOut": "TIMED_OUT",
}


@dataclass
class StateVisit:
    """One entry into a state, up to its exit."""

    name: str
    state_type: str
    entered: datetime
    exited: datetime | None = None
    task_attempts: int = 0
    errors: list[str] = field(default_factory=list)
    output: Any = None


@dataclass(frozen=True)
class ExecutionEnd:
    status: str
    error: str | None
    cause: str | None


def _details(event: Event) -> Mapping[str, Any]:
    for key, value in event.items():
        if key.endswith("EventDetails") and isinstance(value, Mapping):
            return value
    return {}


def state_visits(events: Iterable[Event]) -> list[StateVisit]:
    visits: list[StateVisit] = []
    current: StateVisit | None = None
    for event in events:
        kind: str = event["type"]
        details = _details(event)
        if kind.endswith("StateEntered"):
            current = StateVisit(
                details.get("name", "?"), kind.removesuffix("StateEntered"), event["timestamp"]
            )
            visits.append(current)
        elif current is None:
            continue
        elif kind in _LAMBDA_SCHEDULED:
            current.task_attempts += 1
        elif kind in _LAMBDA_FAILED:
            current.errors.append(str(details.get("error", kind)))
        elif kind.endswith("StateExited") and details.get("name") == current.name:
            current.exited = event["timestamp"]
            current.output = _json_or_text(details.get("output"))
    return visits


def state_transitions(events: Iterable[Event]) -> int:
    """States entered plus retried task attempts: what Step Functions bills as state transitions."""
    visits = state_visits(events)
    return sum(1 + max(visit.task_attempts - 1, 0) for visit in visits)


def execution_end(events: Iterable[Event]) -> ExecutionEnd | None:
    for event in events:
        status = _EXECUTION_ENDS.get(event["type"])
        if status is not None:
            details = _details(event)
            return ExecutionEnd(status, details.get("error"), details.get("cause"))
    return None


def _json_or_text(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except json.JSONDecodeError:
        return value
