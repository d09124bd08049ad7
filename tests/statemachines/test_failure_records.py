"""What a person reading a failed run's records sees, on the real state machine (local engine)."""

from __future__ import annotations

import pytest

from benchmarks.fast import FAST_SETTINGS, fast_request, fast_scenario
from image_factory.local_engine.engine import LocalEngine

RUN_TIMEOUT = 120.0  # real seconds


@pytest.mark.slow
def test_an_export_throttled_past_its_retries_is_the_step_the_run_names() -> None:
    faults = [{"operation": "CreateExportImageTask", "error": "ThrottlingException", "times": None}]
    with LocalEngine(fast_scenario(faults=faults), settings=FAST_SETTINGS) as engine:
        execution = engine.start(fast_request())
        outcome = execution.wait(RUN_TIMEOUT)
        run, steps = execution.records()

    assert outcome.status == "FAILED"
    assert run is not None and run["error"]["step"] == "export"
    assert run["error"]["code"] == "AppStreamThrottled"
    assert "CreateExportImageTask" in run["error"]["message"]
    by_name = {step["step"]: step for step in steps}
    assert by_name["export"]["status"] == "FAILED"
    assert by_name["export"]["error"] == {"code": "AppStreamThrottled", "message": run["error"]["message"]}
    assert by_name["cleanup"]["status"] == "SUCCEEDED"
    assert [step["step"] for step in steps if step["status"] == "RUNNING"] == []
