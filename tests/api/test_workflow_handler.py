"""Lifecycle workflows through the run API's handler on moto: starting, bad input, retries, cancelling."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from functions.core import cancellation, names
from functions.core.cancellation import ABORTED_KEY, AbortedExecution
from functions.core.context import get_context
from functions.workflows import WORKFLOWS
from image_factory.local_engine.event_rules import target_input
from stacks.cancel_rules import DETAIL_TYPE, SOURCE, cancel_rule
from stacks.rollout_rules import input_transformer
from tests.api.conftest import CONFIGURED, Api

CONFIGURED_REQUEST = CONFIGURED["pipelines"][0]["request"]

EXPORT_ROLE = "arn:aws:iam::123456789012:role/image-factory-appstream-export"
REQUESTS: dict[str, dict[str, Any]] = {
    "export-backup": {"name": "nightly", "images": {"name_prefix": "app-"}, "role_arn": EXPORT_ROLE},
    "managed-update": {"name": "office-updates", "image_name": "office"},
    "fleet-rollout": {"name": "web-rollout", "image_name": "web-2", "fleets": [{"name": "web"}]},
    "retention": {"name": "web-retention", "pipelines": ["web"]},
}


def fields(answer: Any) -> set[str]:
    return {problem["field"] for problem in answer.document["error"]["fields"]}


def start(api: Api, workflow: str, body: Any = None, **headers: str) -> Any:
    document = REQUESTS[workflow] if body is None else body
    return api.call("POST", f"/workflows/{workflow}/runs", document, headers=headers)


def test_the_api_lists_every_workflow_with_where_to_start_it(api: Api) -> None:
    answer = api.call("GET", "/workflows")
    assert answer.status == 200
    listed = {item["name"]: item["start"] for item in answer.document["workflows"]}
    assert listed == {name: f"/workflows/{name}/runs" for name in WORKFLOWS}


@pytest.mark.parametrize("workflow", sorted(REQUESTS))
def test_a_lifecycle_request_starts_its_workflow_named_by_the_run_id(api: Api, workflow: str) -> None:
    answer = start(api, workflow)

    assert answer.status == 202, answer.document
    started = answer.document
    assert (started["workflow"], started["pipeline"], started["image_name"]) == (
        workflow,
        REQUESTS[workflow]["name"],
        None,
    )
    (execution,) = api.executions(workflow)
    assert execution["name"] == started["run_id"] == started["execution_arn"].rsplit(":", 1)[-1]
    assert json.loads(execution["input"]) == REQUESTS[workflow]
    assert api.executions() == []  # not the image pipeline
    shown = api.call("GET", f"/runs/{started['run_id']}").document
    assert (shown["status"], shown["workflow"], shown["pipeline"]) == (
        "STARTING",
        workflow,
        REQUESTS[workflow]["name"],
    )


@pytest.mark.parametrize(
    ("workflow", "body", "bad"),
    [
        ("retention", {"name": "r", "pipelines": [], "keep_images": 0}, {"pipelines", "keep_images"}),
        ("export-backup", {"name": "nightly", "images": {"name_prefix": "app-"}}, {"role_arn"}),
        ("managed-update", {**REQUESTS["managed-update"], "colour": "blue"}, {"colour"}),
        ("fleet-rollout", {"name": "web rollout", "image_name": "web-2"}, {"name", "fleets"}),
        ("retention", [1, 2], {"(body)"}),
    ],
)
def test_a_bad_lifecycle_request_is_400_naming_every_bad_field_and_starts_nothing(
    api: Api, workflow: str, body: Any, bad: set[str]
) -> None:
    answer = start(api, workflow, body)

    assert answer.status == 400, answer.document
    assert answer.document["error"]["code"] == "InvalidRequest"
    assert fields(answer) == bad
    assert api.executions(workflow) == []


def test_an_unknown_workflow_is_404_naming_the_known_ones(api: Api) -> None:
    answer = api.call("POST", "/workflows/backup/runs", REQUESTS["export-backup"])

    assert answer.status == 404
    assert answer.document["error"]["code"] == "NotFound"
    for name in WORKFLOWS:
        assert name in answer.document["error"]["message"]


def test_the_image_pipeline_starts_under_its_workflow_name_too(api: Api) -> None:
    answer = api.call("POST", "/workflows/image-pipeline/runs", {"pipeline": "golden"})
    assert answer.status == 202, answer.document
    assert (answer.document["workflow"], answer.document["pipeline"]) == ("image-pipeline", "golden")
    assert len(api.executions()) == 1


@pytest.mark.parametrize(
    ("path", "body"),
    [("/workflows/retention/runs", REQUESTS["retention"]), ("/runs", {"pipeline": "golden"})],
)
def test_a_retry_with_the_same_idempotency_key_answers_the_first_run(api: Api, path: str, body: Any) -> None:
    first = api.call("POST", path, body, headers={"Idempotency-Key": "nightly-2026-11-28"})
    again = api.call("POST", path, body, headers={"Idempotency-Key": "nightly-2026-11-28"})

    assert (first.status, again.status) == (202, 202), again.document
    assert again.document["run_id"] == first.document["run_id"]
    assert again.document["execution_arn"] == first.document["execution_arn"]
    workflow = "retention" if "retention" in path else "image-pipeline"
    assert len(api.executions(workflow)) == 1
    other = api.call("POST", path, body, headers={"Idempotency-Key": "nightly-2026-11-29"})
    assert other.status == 202 and other.document["run_id"] != first.document["run_id"]


def test_a_key_reused_for_another_request_is_409(api: Api) -> None:
    key = {"Idempotency-Key": "once"}
    assert start(api, "retention", **key).status == 202
    changed = start(api, "retention", {**REQUESTS["retention"], "keep_images": 5}, **key)
    assert changed.status == 409
    assert "idempotency key" in changed.document["error"]["message"]
    assert len(api.executions("retention")) == 1


@pytest.mark.parametrize(
    ("path", "body", "other"),
    [
        ("/runs", {"pipeline": "golden"}, {"pipeline": "office"}),
        (
            "/workflows/retention/runs",
            REQUESTS["retention"],
            {**REQUESTS["retention"], "name": "app-retention"},
        ),
    ],
)
def test_a_key_reused_for_another_pipeline_or_job_is_409(
    api: Api, monkeypatch: pytest.MonkeyPatch, path: str, body: Any, other: Any
) -> None:
    configured = {
        "pipelines": [{"name": name, "request": CONFIGURED_REQUEST} for name in ("golden", "office")]
    }
    monkeypatch.setenv(names.ENV_PIPELINES_CONFIG, json.dumps(configured))
    key = {"Idempotency-Key": "nightly-2026-11-28"}
    first = api.call("POST", path, body, headers=key)
    assert first.status == 202, first.document

    changed = api.call("POST", path, other, headers=key)
    assert changed.status == 409, changed.document
    assert "already used for a different request" in changed.document["error"]["message"]
    assert api.call("POST", path, body, headers=key).document["run_id"] == first.document["run_id"]
    workflow = "retention" if "retention" in path else "image-pipeline"
    assert len(api.executions(workflow)) == 1


def test_a_malformed_idempotency_key_is_400(api: Api) -> None:
    answer = start(api, "retention", **{"Idempotency-Key": "no spaces please"})
    assert answer.status == 400
    assert fields(answer) == {"idempotency-key"}


def test_a_job_with_a_running_run_is_409_until_it_ends(api: Api) -> None:
    run_id = start(api, "retention").document["run_id"]
    (execution,) = api.executions("retention")
    api.records.start_run(run_id, "web-retention", execution["executionArn"], REQUESTS["retention"])

    twin = start(api, "retention")

    assert twin.status == 409
    assert run_id in twin.document["error"]["message"]
    api.records.finish_run(run_id, "SUCCEEDED")
    assert start(api, "retention").status == 202


def test_a_pipeline_of_the_same_name_does_not_block_a_job(api: Api) -> None:
    pipeline_run = api.call("POST", "/runs", {"pipeline": "golden"}).document
    api.records.start_run(pipeline_run["run_id"], "web-retention", pipeline_run["execution_arn"], {})
    assert start(api, "retention").status == 202


def test_listings_show_the_workflow_of_each_run(api: Api) -> None:
    pipeline_run = api.call("POST", "/runs", {"pipeline": "golden"}).document
    retention_run = start(api, "retention").document
    for run in (pipeline_run, retention_run):
        api.records.start_run(run["run_id"], run["pipeline"], run["execution_arn"], {})

    listed = api.call("GET", "/runs").document["runs"]

    assert {run["run_id"]: run["workflow"] for run in listed} == {
        pipeline_run["run_id"]: "image-pipeline",
        retention_run["run_id"]: "retention",
    }


def recorded(api: Api, workflow: str) -> str:
    """A lifecycle run started through the API and recorded RUNNING with a running step."""
    run = start(api, workflow).document
    api.records.start_run(run["run_id"], run["pipeline"], run["execution_arn"], REQUESTS[workflow])
    api.records.step_started(run["run_id"], "plan", {})
    return str(run["run_id"])


def delivered(api: Api, execution: dict[str, Any], workflow: str) -> AbortedExecution:
    """What the stage's rule gives the cleanup execution for this stopped execution: the deployed
    rule's pattern and input transformer applied to the status change event Step Functions sends."""
    arn = str(execution["executionArn"])
    detail = {
        "executionArn": arn,
        "stateMachineArn": execution["stateMachineArn"],
        "name": execution["name"],
        "status": execution["status"],
        "startDate": int(execution["startDate"].timestamp() * 1000),
        "stopDate": int(execution["stopDate"].timestamp() * 1000),
        "input": execution["input"],
        "inputDetails": {"included": True},
        "error": "RunCancelled",
        "cause": "cancelled by arn:aws:iam::123456789012:user/alice",
    }
    event = {"source": SOURCE, "detail-type": DETAIL_TYPE, "resources": [arn], "detail": detail}
    rule = cancel_rule(workflow, str(execution["stateMachineArn"]))
    assert rule.pattern["detail"]["status"] == ["ABORTED"] and rule.pattern["source"] == [SOURCE]
    target = {"Arn": execution["stateMachineArn"], "InputTransformer": input_transformer(rule.input)}
    return AbortedExecution.model_validate(target_input(target, event)[ABORTED_KEY])


def test_cancelling_a_lifecycle_run_stops_it_and_its_cleanup_ends_it_cancelled(api: Api) -> None:
    run_id = recorded(api, "retention")

    answer = api.call("POST", f"/runs/{run_id}/cancel")

    assert answer.status == 200, answer.document
    assert (answer.document["status"], answer.document["cleanup"]) == ("CANCELLING", [])
    (execution,) = api.executions("retention")
    assert execution["status"] == "ABORTED"
    # The cleanup execution's RecordCancelled, for the event the stop sent (delivered twice: at
    # least once, says EventBridge); the second finds the run ended and changes nothing.
    aborted = delivered(api, execution, "retention")
    for _ in range(2):
        cancellation.record_cancelled(get_context(), aborted, {})
    run = api.call("GET", f"/runs/{run_id}").document
    assert (run["status"], run["workflow"]) == ("CANCELLED", "retention")
    assert run["cancel_requested_at"] and run.get("error") is None
    assert [(step["step"], step["status"]) for step in run["steps"]] == [("plan", "CANCELLED")]
    again = api.call("POST", f"/runs/{run_id}/cancel")
    assert (again.status, again.document["status"]) == (200, "CANCELLED")


def test_a_stop_whose_event_was_lost_is_cleaned_up_again_by_a_second_cancel_once(api: Api) -> None:
    run_id = recorded(api, "retention")
    assert api.call("POST", f"/runs/{run_id}/cancel").document["status"] == "CANCELLING"

    # No cleanup came (Step Functions' events are best effort): cancelling again starts it, once.
    for _ in range(2):
        answer = api.call("POST", f"/runs/{run_id}/cancel")
        assert (answer.status, answer.document["status"]) == (200, "CANCELLING")

    listed = sorted(api.executions("retention"), key=lambda execution: execution["name"])
    assert [execution["name"] for execution in listed] == [run_id, f"{run_id}-cancelled"]
    cleanup_input = json.loads(listed[1]["input"])
    assert cleanup_input[ABORTED_KEY] == delivered(api, listed[0], "retention").model_dump(mode="json") | {
        "cause": None
    }


@pytest.mark.parametrize("held", [True, False])
def test_a_fleet_rollout_is_cancelled_only_while_no_fleet_moves(api: Api, held: bool) -> None:
    run_id = recorded(api, "fleet-rollout")
    if held:  # as the rollout records it while it moves a fleet
        api.records.hold_cancel(run_id, "fleet 'web' is being changed")

    answer = api.call("POST", f"/runs/{run_id}/cancel")

    assert answer.status == (409 if held else 200), answer.document
    (execution,) = api.executions("fleet-rollout")
    run = api.call("GET", f"/runs/{run_id}").document
    if held:
        assert "fleet 'web' is being changed" in answer.document["error"]["message"]
        assert (execution["status"], run["status"]) == ("RUNNING", "RUNNING")
    else:
        assert (execution["status"], run["status"]) == ("ABORTED", "RUNNING")


def test_a_rollout_stopped_while_a_fleet_moved_ends_cancelled_naming_it(api: Api) -> None:
    run_id = recorded(api, "fleet-rollout")
    (execution,) = api.executions("fleet-rollout")
    api.records.hold_cancel(run_id, "fleet 'web' is being changed")
    boto3.client("stepfunctions").stop_execution(executionArn=execution["executionArn"])  # the console

    (stopped,) = api.executions("fleet-rollout")
    cancellation.record_cancelled(get_context(), delivered(api, stopped, "fleet-rollout"), {})

    run = api.call("GET", f"/runs/{run_id}").document
    assert run["status"] == "CANCELLED"
    assert run["error"]["code"] == "CleanupIncomplete"
    assert "fleet 'web' is being changed" in run["error"]["message"]
