"""Helpers for tests of the run API served over HTTP on the local engine."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from typing import Any

from appstream_emulator.scenario import Scenario
from image_factory.local_engine.engine import LocalEngine
from image_factory.local_engine.inputs import load_scenario
from image_factory.remote.local_server import LocalApiServer
from tests.engine.pipeline_support import FAST_SETTINGS, fast_request
from tests.lifecycle.fleet_support import FLEET_DURATIONS
from tests.lifecycle.support import IMAGES

POLL_SECONDS = 0.05


def http(
    base_url: str, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, Any]]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        base_url + path,
        data=data,
        method=method,
        headers={"Content-Type": "application/json", **(headers or {})},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def manual_snapshot_request() -> dict[str, Any]:
    """A run that holds its builder for simulated hours (a person would run Image Assistant)."""
    document = fast_request("from-existing-image")
    document["snapshot"] = {"mode": "manual"}
    return document


def wait_for(base_url: str, run_id: str, done: Any, timeout: float = 60.0) -> dict[str, Any]:
    """Poll GET /runs/{id} until `done(run)` holds; the last run seen otherwise (the test then fails)."""
    deadline = time.monotonic() + timeout
    run: dict[str, Any] = {}
    while time.monotonic() < deadline:
        status, run = http(base_url, "GET", f"/runs/{run_id}")
        assert status == 200, run
        if done(run):
            return run
        time.sleep(POLL_SECONDS)
    return run


def step_status(run: dict[str, Any], step: str) -> str | None:
    return next((item["status"] for item in run.get("steps", []) if item["step"] == step), None)


def builders_of(server: LocalApiServer, run_id: str) -> list[str]:
    """Names of the run's image builders left in the emulated account."""
    names = [builder["name"] for builder in server.engine.inventory().get("image_builders", [])]
    # Names hold the run id's date, time and digest whole (its first words may be the pipeline's).
    unique = "-".join(run_id.split("-")[-3:])
    return [name for name in names if unique in name]


def lifecycle_engine() -> LocalEngine:
    """An account for every lifecycle workflow: images to back up and update, and pipeline web's
    images and fleets to roll out and retain (the `fleets` scenario), with short phases."""
    data = load_scenario("fleets").model_dump(by_alias=True, exclude_unset=True)
    data["images"] = [*data["images"], *IMAGES]
    data["durations"] = {**FLEET_DURATIONS, "updated_image": 600}
    return LocalEngine(Scenario.from_data(data), settings=FAST_SETTINGS)
