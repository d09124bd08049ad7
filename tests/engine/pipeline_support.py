"""Fast variants of the bundled requests and scenarios for end-to-end tests of the real workflow.

Phases are shortened in the emulator and the requests expect those shorter phases, so a
run keeps its shape (first check near the expected finish, then short checks) and takes
well under a second of real time.
"""

from __future__ import annotations

import copy
from typing import Any

from appstream_emulator.scenario import Scenario
from benchmarks.fast import FAST_DURATIONS, FAST_SETTINGS, FAST_WAITS
from image_factory.local_engine.engine import LocalEngine
from image_factory.local_engine.inputs import load_request_document, load_scenario


def fast_request(name: str) -> dict[str, Any]:
    _, document = load_request_document(name)
    document = copy.deepcopy(document)
    document["waits"] = FAST_WAITS
    return dict(document)


def fast_scenario(name: str | None = None, **changes: Any) -> Scenario:
    data = load_scenario(name).model_dump(by_alias=True, exclude_unset=True)
    data["durations"] = {**data.get("durations", {}), **FAST_DURATIONS}
    data.update(changes)
    return Scenario.from_data(data)


def fast_engine(scenario: Scenario | None = None, **options: Any) -> LocalEngine:
    return LocalEngine(scenario or fast_scenario(), settings=FAST_SETTINGS, **options)


def run_record(engine: LocalEngine, run_id: str) -> dict[str, Any]:
    execution = next(e for e in engine.executions if e.name == run_id)
    record, _ = execution.records()
    assert record is not None
    return record


def task_errors(engine: LocalEngine) -> list[str]:
    """Error names of every failed task attempt, in every execution."""
    return [
        event["taskFailedEventDetails"]["error"]
        for execution in engine.executions
        for event in execution.history()
        if event["type"] == "TaskFailed"
    ]
