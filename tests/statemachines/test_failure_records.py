"""What a person reading a failed run's records sees, on the real state machine (local engine)."""

from __future__ import annotations

from typing import Any

import pytest

from benchmarks.fast import FAST_SETTINGS, fast_request, fast_scenario
from image_factory.local_engine.engine import LocalEngine

RUN_TIMEOUT = 120.0  # real seconds


def run_with(faults: list[dict[str, Any]]) -> tuple[str, dict[str, Any] | None, list[dict[str, Any]]]:
    with LocalEngine(fast_scenario(faults=faults), settings=FAST_SETTINGS) as engine:
        execution = engine.start(fast_request())
        outcome = execution.wait(RUN_TIMEOUT)
        run, steps = execution.records()
    return outcome.status, run, steps


@pytest.mark.slow
def test_an_export_throttled_past_its_retries_is_the_step_the_run_names() -> None:
    faults = [{"operation": "CreateExportImageTask", "error": "ThrottlingException", "times": None}]
    status, run, steps = run_with(faults)

    assert status == "FAILED"
    assert run is not None and run["error"]["step"] == "export"
    assert run["error"]["code"] == "AppStreamThrottled"
    assert "CreateExportImageTask" in run["error"]["message"]
    by_name = {step["step"]: step for step in steps}
    assert by_name["export"]["status"] == "FAILED"
    assert by_name["export"]["error"] == {"code": "AppStreamThrottled", "message": run["error"]["message"]}
    assert by_name["cleanup"]["status"] == "SUCCEEDED"
    assert [step["step"] for step in steps if step["status"] == "RUNNING"] == []


@pytest.mark.slow
def test_an_import_dry_run_refused_past_its_retries_names_the_preflight_step() -> None:
    # The dry run comes before anything exists: the preflight is the step the run names.
    status, run, steps = run_with(
        [{"operation": "CreateImportedImage", "error": "ThrottlingException", "times": None}]
    )

    assert status == "FAILED"
    assert run is not None and run["error"]["step"] == "preflight"
    assert "dry run" in run["error"]["message"]
    by_name = {step["step"]: step for step in steps}
    assert by_name["preflight"]["status"] == "FAILED"
    assert "source" not in by_name  # nothing was imported


@pytest.mark.slow
def test_a_preflight_then_import_counts_one_import_attempt() -> None:
    status, _, steps = run_with([])

    assert status == "SUCCEEDED"
    assert {step["step"]: step for step in steps}["source"]["attempts"] == 1
