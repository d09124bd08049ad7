"""Fast lifecycle runs on the local engine: an account with images, requests that expect short phases."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from appstream_emulator.scenario import Scenario
from image_factory.local_engine.engine import LocalEngine
from image_factory.local_engine.execution import LocalExecution
from tests.engine.pipeline_support import FAST_DURATIONS, FAST_SETTINGS, run_record, task_errors

__all__ = ["run_record", "task_errors"]

EXPORT_ROLE = "arn:aws:iam::123456789012:role/image-factory-appstream-export"
IMAGES = [
    # Made by a pipeline run with a 300 GB builder: its tag says so (names.TAG_VOLUME_GB).
    {"name": "app-one", "tags": {"team": "euc", "image-factory:volume-gb": "300"}, "volume_gb": 300},
    {"name": "app-two", "tags": {"team": "euc"}},
    {"name": "app-three", "tags": {"team": "finance"}},
    {"name": "office", "tags": {"team": "euc"}},
    {"name": "kiosk", "up_to_date": True},
]


def scenario(**changes: Any) -> Scenario:
    data: dict[str, Any] = {
        "durations": {**FAST_DURATIONS, "updated_image": 600},
        "images": IMAGES,
    }
    data.update(changes)
    return Scenario.from_data(data)


def engine(workflow: str, scenario_: Scenario | None = None, **options: Any) -> LocalEngine:
    return LocalEngine(scenario_ or scenario(), settings=FAST_SETTINGS, workflow=workflow, **options)


def backup_request(**changes: Any) -> dict[str, Any]:
    return {
        "name": "nightly",
        "images": {"name_prefix": "app-"},
        "role_arn": EXPORT_ROLE,
        "waits": {"export": {"expected_minutes": 5}},
        **changes,
    }


def update_request(**changes: Any) -> dict[str, Any]:
    return {
        "name": "app-one-updates",
        "image_name": "app-one",
        "waits": {"update": {"expected_minutes": 10}, "cleanup": {"expected_minutes": 1}},
        **changes,
    }


def output(execution: LocalExecution) -> dict[str, Any]:
    import json

    return dict(json.loads(execution.describe()["output"]))


def peak_while_running(executions: list[LocalExecution], measure: Callable[[], int]) -> int:
    """The highest value `measure` showed while any execution ran (sampled every 20 ms)."""
    peak = 0
    while any(execution.is_running() for execution in executions):
        peak = max(peak, measure())
        time.sleep(0.02)
    return peak
