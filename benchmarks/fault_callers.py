"""Which Task state makes each AppStream call first, and the Retry rules that state carries.

A fault counts calls of its operation over the whole run, so the first state to call the
operation meets it first. The calls are attributed to states in a clean run: each Lambda
invocation remembers its function in its thread, where its AppStream calls are made, and the
ASL names the function every Task state invokes.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.fault_calls import call_log
from benchmarks.fault_calls import first_callers as first_calls
from image_factory.local_engine.engine import LocalEngine

RUN_TIMEOUT = 120.0  # real seconds


@dataclass(frozen=True)
class TaskState:
    name: str
    function: str  # the Lambda function it invokes (a `functions.workflows` task name)
    retry: list[dict[str, Any]]
    # Inside a Map or Parallel body whose Catch moves on within the body: the failure becomes
    # that item's result, and the workflow reports failed items in its own words.
    caught_in_body: bool = False


def task_states(definition: Path) -> dict[str, TaskState]:
    """Every Lambda-backed Task state of the definition (Map and Parallel bodies too), by function."""
    found: dict[str, TaskState] = {}
    top = json.loads(definition.read_text(encoding="utf-8"))["States"]
    for name, state, siblings in _states(top, None):
        function = str((state.get("Parameters") or {}).get("FunctionName", ""))
        if state.get("Type") == "Task" and function.startswith("${"):
            task = function.removeprefix("${").removesuffix("FunctionArn}")
            caught = siblings is not None and any(c.get("Next") in siblings for c in state.get("Catch", []))
            found.setdefault(task, TaskState(name, task, list(state.get("Retry", [])), caught))
    return found


def _states(
    states: Mapping[str, Any], body: Mapping[str, Any] | None
) -> Iterator[tuple[str, dict[str, Any], Mapping[str, Any] | None]]:
    """Every state, with the states of the Map or Parallel body it sits in (None at the top)."""
    for name, state in states.items():
        yield name, state, body
        bodies = [*state.get("Branches", []), state.get("ItemProcessor"), state.get("Iterator")]
        for inner in bodies:
            if inner:
                yield from _states(inner["States"], inner["States"])


def first_callers(engine: LocalEngine, request: Mapping[str, Any]) -> dict[str, str]:
    """Run `request` on the running `engine`: each AppStream operation called -> its first caller."""
    with call_log(engine) as log:
        engine.run(request, timeout=RUN_TIMEOUT)
    return first_calls(log)
