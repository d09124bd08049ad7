"""Shortened, proportional phases for benchmarks that need many runs in little wall time.

Durations are about a fifth of the reference timeline and the request expects them, so a
run keeps the shape of a real one (first check near the expected end, then short steps).
"""

from __future__ import annotations

import copy
from typing import Any

from appstream_emulator.scenario import Scenario
from functions.core import names
from image_factory.local_engine.inputs import load_request_document, load_scenario

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


# Lifecycle workflows run on an account after a few pipeline runs (the `fleets` scenario: pipeline
# web's images and fleets) plus one image to back up and update.
LIFECYCLE_DURATIONS = {**FAST_DURATIONS, "fleet_start": 240, "fleet_stop": 120, "updated_image": 600}
LIFECYCLE_IMAGES = [{"name": "app-one", "tags": {"team": "euc"}}]
EXPORT_ROLE = "arn:aws:iam::123456789012:role/image-factory-appstream-export"
LIFECYCLE_REQUESTS: dict[str, dict[str, Any]] = {
    "export-backup": {
        "name": "nightly",
        "images": {"image_name": "app-one"},
        "role_arn": EXPORT_ROLE,
        "waits": {"export": {"expected_minutes": 5}},
    },
    "managed-update": {
        "name": "app-one-updates",
        "image_name": "app-one",
        "waits": {"update": {"expected_minutes": 10}, "cleanup": {"expected_minutes": 1}},
    },
}
LIFECYCLE_EXAMPLES = {"fleet-rollout": "fleet-rollout-web", "retention": "retention-dry-run"}
LIFECYCLE_WAITS = {"fleet-rollout": {"fleet": {"expected_minutes": 6}, "rollback": {"expected_minutes": 6}}}


def lifecycle_request(workflow: str) -> dict[str, Any]:
    if workflow in LIFECYCLE_REQUESTS:
        return copy.deepcopy(LIFECYCLE_REQUESTS[workflow])
    _, document = load_request_document(LIFECYCLE_EXAMPLES[workflow])
    document = copy.deepcopy(dict(document))
    if workflow in LIFECYCLE_WAITS:
        document["waits"] = LIFECYCLE_WAITS[workflow]
    return document


def lifecycle_scenario(**changes: Any) -> Scenario:
    data = load_scenario("fleets").model_dump(by_alias=True, exclude_unset=True)
    data["images"] = [*data["images"], *LIFECYCLE_IMAGES]
    data["durations"] = LIFECYCLE_DURATIONS
    data.update(changes)
    return Scenario.from_data(data)
