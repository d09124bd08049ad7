"""Lifecycle workflows started, followed, listed and cancelled through the run API on the local engine."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from image_factory.local_engine.inputs import load_request_document
from image_factory.remote.local_server import LocalApiServer
from tests.api.local_api import http, lifecycle_engine, wait_for
from tests.lifecycle.support import backup_request, update_request

pytestmark = pytest.mark.slow

ENDED = {"SUCCEEDED", "FAILED", "CANCELLED"}
ROLLOUT_WAITS = {"fleet": {"expected_minutes": 6}, "rollback": {"expected_minutes": 6}}


def example(name: str, **changes: Any) -> dict[str, Any]:
    _, document = load_request_document(name)
    return {**document, **changes}


REQUESTS: dict[str, dict[str, Any]] = {
    "export-backup": backup_request(),
    "managed-update": update_request(),
    "fleet-rollout": example("fleet-rollout-web", waits=ROLLOUT_WAITS),
    "retention": example("retention-dry-run"),
}


@pytest.fixture(scope="module")
def server() -> Iterator[LocalApiServer]:
    with LocalApiServer(lifecycle_engine(), port=0) as running:
        yield running


def ended(run: dict[str, Any]) -> bool:
    return run["status"] in ENDED


@pytest.mark.parametrize("workflow", sorted(REQUESTS))
def test_each_lifecycle_workflow_starts_over_http_and_succeeds_with_its_record(
    server: LocalApiServer, workflow: str
) -> None:
    request = REQUESTS[workflow]
    status, started = http(server.url, "POST", f"/workflows/{workflow}/runs", request)
    assert status == 202, started
    assert (started["workflow"], started["pipeline"]) == (workflow, request["name"])
    assert started["image_name"] is None

    run = wait_for(server.url, started["run_id"], ended)

    assert run["status"] == "SUCCEEDED", run
    assert (run["workflow"], run["pipeline"]) == (workflow, request["name"])
    assert run["steps"] and all(step["status"] == "SUCCEEDED" for step in run["steps"]), run["steps"]
    _, page = http(server.url, "GET", f"/runs?pipeline={request['name']}")
    assert [(item["run_id"], item["workflow"]) for item in page["runs"]] == [(started["run_id"], workflow)]


def test_a_managed_update_run_is_cancelled_and_its_new_image_deleted(server: LocalApiServer) -> None:
    request = update_request(
        name="office-updates", image_name="office", waits={"update": {"expected_minutes": 600}}
    )
    _, started = http(server.url, "POST", "/workflows/managed-update/runs", request)
    run_id = started["run_id"]
    waiting = wait_for(server.url, run_id, lambda run: _new_image(server, run_id) is not None or ended(run))
    assert waiting["status"] == "RUNNING", waiting

    status, cancelling = http(server.url, "POST", f"/runs/{run_id}/cancel")

    assert (status, cancelling["status"]) == (200, "CANCELLING"), cancelling
    run = wait_for(server.url, run_id, lambda run: run["status"] != "RUNNING")
    assert (run["status"], run["workflow"]) == ("CANCELLED", "managed-update")
    assert run["cancel_requested_at"]
    assert _new_image(server, run_id) is None
    _, cancelled = http(server.url, "POST", f"/runs/{run_id}/cancel")
    assert cancelled["status"] == "CANCELLED"
    assert any(action.startswith("deleted") for action in cancelled["cleanup"]), cancelled


def test_a_second_run_of_a_running_job_is_409_and_a_retried_key_answers_the_first(
    server: LocalApiServer,
) -> None:
    request = backup_request(name="weekly", waits={"export": {"expected_minutes": 600}})
    key = {"Idempotency-Key": "weekly-2026-11-28"}
    status, first = http(server.url, "POST", "/workflows/export-backup/runs", request, key)
    assert status == 202, first
    again_status, again = http(server.url, "POST", "/workflows/export-backup/runs", request, key)
    assert (again_status, again["run_id"]) == (202, first["run_id"])
    wait_for(server.url, first["run_id"], lambda run: run["status"] != "STARTING")

    twin_status, twin = http(server.url, "POST", "/workflows/export-backup/runs", request)

    assert twin_status == 409, twin
    assert first["run_id"] in twin["error"]["message"]
    status, cancelling = http(server.url, "POST", f"/runs/{first['run_id']}/cancel")
    assert (status, cancelling["status"]) == (200, "CANCELLING")
    run = wait_for(server.url, first["run_id"], lambda run: run["status"] != "RUNNING")
    assert run["status"] == "CANCELLED", run


def _new_image(server: LocalApiServer, run_id: str) -> str | None:
    images = server.engine.inventory().get("images", [])
    return next((image["name"] for image in images if run_id in image["name"]), None)


def test_a_route_the_api_does_not_serve_is_refused_as_api_gateway_does(server: LocalApiServer) -> None:
    # Each workflow has its own resource, so API Gateway itself answers an unknown one.
    status, answer = http(server.url, "POST", "/workflows/backup/runs", REQUESTS["export-backup"])
    assert status == 403
    assert answer["error"]["code"] == "MISSING_AUTHENTICATION_TOKEN"
    status, answer = http(server.url, "DELETE", "/runs")
    assert (status, answer["error"]["code"]) == (403, "MISSING_AUTHENTICATION_TOKEN")
    status, _ = http(server.url, "GET", "/workflows")
    assert status == 200
