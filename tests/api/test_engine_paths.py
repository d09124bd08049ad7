"""Paths that need an engine of their own: cleanup carried on in the background, console runs."""

from __future__ import annotations

import json

import pytest

from image_factory.remote.local_server import LocalApiServer
from tests.api.local_api import builders_of, http, manual_snapshot_request, step_status, wait_for
from tests.engine.pipeline_support import fast_engine, fast_request

pytestmark = pytest.mark.slow


# Real seconds of cleanup per call: 30 simulated seconds at 3000x, less than a builder's stop
# and delete (3 minutes), so the cleanup goes on in continuations.
BUDGET_SECONDS = 0.01


def test_cleanup_that_outlasts_one_call_carries_on_by_itself_a_pass_per_wait() -> None:
    with LocalApiServer(fast_engine(), port=0, cancel_budget_seconds=BUDGET_SECONDS) as server:
        _, started = http(server.url, "POST", "/runs", manual_snapshot_request())
        run_id = started["run_id"]
        wait_for(server.url, run_id, lambda run: step_status(run, "snapshot") == "RUNNING")
        calls_before = server.engine.emulator.call_counts["DescribeImageBuilders"]
        cancelled_at = server.engine.time.now()

        status, answer = http(server.url, "POST", f"/runs/{run_id}/cancel")

        assert (status, answer["status"]) == (200, "CANCELLING")
        run = wait_for(server.url, run_id, lambda run: run["status"] == "CANCELLED")
        assert run["status"] == "CANCELLED", run
        assert builders_of(server, run_id) == []
        assert server.engine.builder_slots_in_use() == 0
        passes = server.engine.emulator.call_counts["DescribeImageBuilders"] - calls_before
        cleanup_seconds = server.engine.time.now() - cancelled_at
        continuations = len(server._continuations)

    # A continuation sleeps out the wait its predecessor chose before it looks again: passes
    # follow the cleanup's waits (15 s at the least), not the number of invocations.
    assert continuations > 1
    assert passes <= cleanup_seconds / 15 + 1, (passes, cleanup_seconds, continuations)
    assert passes < continuations, (passes, cleanup_seconds, continuations)


def test_a_console_run_with_a_bad_input_fails_naming_every_bad_field() -> None:
    bad = fast_request("reference")
    bad["builder"] = {"instance_type": "huge", "root_volume_gb": 9000}
    bad["colour"] = "blue"
    with fast_engine() as engine:
        outcome = engine.start(bad).wait(60)
        description = engine.executions[0].describe()
    assert not outcome.succeeded
    assert description["status"] == "FAILED"
    cause = description.get("cause", "")
    for field in ("builder.instance_type", "builder.root_volume_gb", "colour"):
        assert field in cause, cause
    assert json.dumps(bad["builder"]["instance_type"]) not in cause
