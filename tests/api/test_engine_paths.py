"""Paths that need an engine of their own: a console stop and its cleanup, console runs."""

from __future__ import annotations

import json
import time
from typing import Any

import boto3
import pytest

from image_factory.remote.local_server import LocalApiServer
from tests.api.local_api import builders_of, http, manual_snapshot_request, step_status, wait_for
from tests.engine.pipeline_support import fast_engine, fast_request

pytestmark = pytest.mark.slow


def test_a_console_stop_mid_cleanup_is_cleaned_up_by_the_workflow_and_a_duplicate_delivery_is_harmless() -> (
    None
):
    with LocalApiServer(fast_engine(), port=0) as server:
        _, started = http(server.url, "POST", "/runs", manual_snapshot_request())
        run_id = started["run_id"]
        wait_for(server.url, run_id, lambda run: step_status(run, "snapshot") == "RUNNING")
        assert builders_of(server, run_id)

        # A stop in the console (no run API): the stage's rule starts the cleanup all the same.
        sfn = boto3.client("stepfunctions")
        sfn.stop_execution(executionArn=started["execution_arn"])
        (first,) = server.engine.event_rules.cleanups
        # EventBridge delivers at least once: a second delivery of the same event starts a second cleanup.
        assert first.execution is not None
        cleanup_input = first.execution.describe()["input"]
        machine = first.execution.describe()["stateMachineArn"]
        second = sfn.start_execution(stateMachineArn=machine, name="again", input=cleanup_input)

        run = wait_for(server.url, run_id, lambda run: run["status"] != "RUNNING")
        assert run["status"] == "CANCELLED", run
        assert run["cancel_requested_at"] and run.get("error") is None, run
        for arn in (first.execution.arn, second["executionArn"]):
            described = wait_until_ended(sfn, arn)
            assert described["status"] == "SUCCEEDED", described
        assert builders_of(server, run_id) == []
        assert server.engine.builder_slots_in_use() == 0
        _, again = http(server.url, "POST", f"/runs/{run_id}/cancel")
        assert again["status"] == "CANCELLED"
        # The record keeps what the cleanup that recorded first did (the other may have stopped and
        # deleted the builder): each releases the slot, which a second release leaves released.
        assert "released the builder slot" in again["cleanup"], again


def wait_until_ended(sfn: Any, arn: str, timeout: float = 60.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        described = sfn.describe_execution(executionArn=arn)
        if described["status"] != "RUNNING" or time.monotonic() > deadline:
            return dict(described)
        time.sleep(0.05)


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
