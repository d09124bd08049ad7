"""Shortened, proportional phases for benchmarks that need many runs in little wall time.

Durations are about a fifth of the reference timeline and the request expects them, so a
run keeps the shape of a real one (first check near the expected end, then short steps).
"""

from __future__ import annotations

import copy
from typing import Any

from appstream_emulator.scenario import Scenario
from functions import names
from image_factory.local_engine.inputs import load_request_document

FAST_DURATIONS = {
    "import": 480,
    "validation": 120,
    "builder_start": 180,
    "builder_stop": 120,
    "builder_delete": 60,
    "agent_job": 120,
    "snapshot": 300,
    "image_publish": 60,
    "export": 300,
    "image_delete": 60,
}
FAST_WAITS = {
    "import": {"expected_minutes": 10},
    "builder": {"expected_minutes": 3},
    "snapshot": {"expected_minutes": 8},
    "export": {"expected_minutes": 5},
    "cleanup": {"expected_minutes": 3},
}
FAST_SETTINGS = {names.ENV_POLL_FLOOR_SECONDS: "15", names.ENV_SLOT_POLL_SECONDS: "60"}


def fast_request(pipeline: str = "reference") -> dict[str, Any]:
    _, document = load_request_document("reference")
    document = copy.deepcopy(dict(document))
    document["pipeline"] = pipeline
    document["waits"] = FAST_WAITS
    return document


def fast_scenario(**changes: Any) -> Scenario:
    return Scenario.from_data({"durations": FAST_DURATIONS, "seed": 7, **changes})
