"""The run API over HTTP on the local engine: runs start, are followed, and cancel cleanly."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest

from image_factory.remote.local_server import LocalApiServer
from tests.api.local_api import builders_of, http, manual_snapshot_request, step_status, wait_for
from tests.engine.pipeline_support import fast_engine, fast_request

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server() -> Iterator[LocalApiServer]:
    with LocalApiServer(fast_engine(), port=0) as running:
        yield running


@pytest.mark.usefixtures("deployed_permissions")
def test_a_run_started_over_http_is_followed_to_success(server: LocalApiServer) -> None:
    status, started = http(server.url, "POST", "/runs", fast_request("reference"))
    assert status == 202, started
    waits_seen: list[dict[str, str]] = []

    def ended(run: dict[str, object]) -> bool:
        if run.get("current_wait"):
            waits_seen.append(run["current_wait"])  # type: ignore[arg-type]
        return run["status"] in {"SUCCEEDED", "FAILED", "CANCELLED"}

    run = wait_for(server.url, started["run_id"], ended)
    assert run["status"] == "SUCCEEDED", run
    assert [step["step"] for step in run["steps"]] == [
        "preflight", "source", "builder_slot", "builder", "snapshot", "export", "cleanup"
    ]  # fmt: skip
    assert all(step["status"] == "SUCCEEDED" and step["next_check_at"] is None for step in run["steps"])
    assert run["current_wait"] is None
    assert waits_seen, "a running run shows the wait it is in"
    assert all(wait["next_check_at"] for wait in waits_seen)


@pytest.mark.usefixtures("deployed_permissions")
def test_cancel_stops_the_run_deletes_the_builder_and_frees_the_slot(server: LocalApiServer) -> None:
    _, started = http(server.url, "POST", "/runs", manual_snapshot_request())
    run_id = started["run_id"]
    run = wait_for(server.url, run_id, lambda run: step_status(run, "snapshot") == "RUNNING")
    assert step_status(run, "snapshot") == "RUNNING", run
    assert builders_of(server, run_id), "the run holds a builder before it is cancelled"

    status, cancelling = http(server.url, "POST", f"/runs/{run_id}/cancel")

    # The API stops the execution; the workflow's own cleanup, started by the stop, ends the run.
    assert (status, cancelling["status"], cancelling["cleanup"]) == (200, "CANCELLING", [])
    run = wait_for(server.url, run_id, lambda run: run["status"] != "RUNNING")
    assert run["status"] == "CANCELLED" and run["cancel_requested_at"], run
    assert builders_of(server, run_id) == []
    assert server.engine.builder_slots_in_use() == 0
    assert step_status(run, "snapshot") == "CANCELLED"
    assert step_status(run, "cleanup") == "SUCCEEDED"
    execution = boto3.client("stepfunctions").describe_execution(executionArn=started["execution_arn"])
    assert execution["status"] == "ABORTED"
    again_status, again = http(server.url, "POST", f"/runs/{run_id}/cancel")
    assert (again_status, again["status"]) == (200, "CANCELLED")
    assert any(action.startswith("deleted image builder") for action in again["cleanup"]), again
    # One cleanup, by the workflow's own state machine, started by the stop's status change event.
    (cleanup,) = server.engine.event_rules.cleanups
    assert cleanup.execution is not None and cleanup.execution.describe()["status"] == "SUCCEEDED"


def test_a_cancelled_run_ended_before_cancel_is_409(server: LocalApiServer) -> None:
    _, started = http(server.url, "POST", "/runs", fast_request("from-existing-image"))
    run = wait_for(server.url, started["run_id"], lambda run: run["status"] == "SUCCEEDED")
    assert run["status"] == "SUCCEEDED"
    status, answer = http(server.url, "POST", f"/runs/{started['run_id']}/cancel")
    assert status == 409 and answer["error"]["code"] == "Conflict"


def _builders(server: LocalApiServer, run_id: str) -> list[str]:
    names = [builder["name"] for builder in server.engine.inventory().get("image_builders", [])]
    return [name for name in names if run_id in name]
