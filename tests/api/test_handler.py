"""The run API's handler on moto: answers, error documents and listings, without running pipelines."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import Api

ROLE = "arn:aws:iam::123456789012:role/AppStreamImport"


def request(**overrides: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "pipeline": "office",
        "source": {"ami_id": "ami-0123456789abcdef0", "import_role_arn": ROLE},
        "builder": {
            "instance_type": "stream.standard.large",
            "root_volume_gb": 300,
            "subnet_ids": ["subnet-0a1b2c3d4e5f60718"],
        },
    }
    document.update(overrides)
    return document


def fields(answer: Any) -> set[str]:
    return {problem["field"] for problem in answer.document["error"]["fields"]}


def test_a_request_starts_a_named_execution_with_the_request_as_input(api: Api) -> None:
    answer = api.call("POST", "/runs", request())
    assert answer.status == 202
    run_id = answer.document["run_id"]
    assert run_id.startswith("office-") and len(run_id) <= 40
    assert answer.document["links"] == {"self": f"/runs/{run_id}", "cancel": f"/runs/{run_id}/cancel"}
    (execution,) = api.executions()
    assert execution["name"] == run_id
    assert '"ami_id": "ami-0123456789abcdef0"' in execution["input"]


def test_a_configured_pipeline_runs_its_stored_request(api: Api) -> None:
    answer = api.call("POST", "/runs", {"pipeline": "golden"})
    assert answer.status == 202, answer.document
    assert answer.document["pipeline"] == "golden"
    (execution,) = api.executions()
    assert '"image_name": "base-image"' in execution["input"]


def test_an_unknown_pipeline_is_404(api: Api) -> None:
    answer = api.call("POST", "/runs", {"pipeline": "nobody"})
    assert answer.status == 404
    assert answer.document["error"]["code"] == "NotFound"


def test_a_bad_request_lists_every_bad_field_and_starts_nothing(api: Api) -> None:
    bad = request(builder={"instance_type": "huge", "root_volume_gb": 900}, colour="blue")
    answer = api.call("POST", "/runs", bad)
    assert answer.status == 400
    assert answer.document["error"]["code"] == "InvalidRequest"
    assert fields(answer) == {"builder.instance_type", "builder.root_volume_gb", "colour"}
    assert api.executions() == []


def test_secrets_are_not_echoed_in_errors(api: Api) -> None:
    app = {"name": "App", "absolute_app_path": "C:\\a.exe", "launch_parameters": "hunter2" * 200}
    answer = api.call("POST", "/runs", request(**{"import": {"app_catalog": [app]}}))
    assert answer.status == 400
    assert "hunter2" not in str(answer.document)


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        (b"{not json", "(body)"),
        (b"[1, 2]", "(body)"),
        (b"", "(body)"),
        (b'"text"', "(body)"),
        (b"\xad\xff", "(body)"),
    ],
)
def test_a_body_that_is_no_request_object_is_400(api: Api, raw: bytes, field: str) -> None:
    answer = api.call("POST", "/runs", raw=raw)
    assert answer.status == 400
    assert fields(answer) == {field}


def test_a_second_run_of_the_same_output_image_is_409(api: Api) -> None:
    fixed = request(snapshot={"image_name": "office-golden"})
    api.records.start_run("office-earlier", "office", "arn:aws:states:::execution:x:office-earlier", fixed)
    answer = api.call("POST", "/runs", fixed)
    assert answer.status == 409
    assert "office-earlier" in answer.document["error"]["message"]
    api.records.finish_run("office-earlier", "SUCCEEDED")
    assert api.call("POST", "/runs", fixed).status == 202


def test_an_unknown_run_is_404_and_a_malformed_id_400(api: Api) -> None:
    assert api.call("GET", "/runs/nothing-here").status == 404
    assert api.call("POST", "/runs/nothing-here/cancel").status == 404
    malformed = api.call("GET", "/runs/%2Fetc")
    assert malformed.status in {400, 404}
    assert malformed.document["error"]["code"] in {"InvalidRequest", "NotFound"}


def test_a_started_run_shows_as_starting_until_it_records_itself(api: Api) -> None:
    run_id = api.call("POST", "/runs", request()).document["run_id"]
    answer = api.call("GET", f"/runs/{run_id}")
    assert answer.status == 200
    assert (answer.document["status"], answer.document["pipeline"]) == ("STARTING", "office")


def test_a_run_shows_its_steps_and_current_wait(api: Api) -> None:
    records = api.records
    records.start_run("office-1", "office", "arn:aws:states:::execution:x:office-1", request())
    records.step_started("office-1", "source", {"image_name": "x"})
    records.step_polled("office-1", "source", 1, "IMPORTING", 300)
    run = api.call("GET", "/runs/office-1").document
    assert run["status"] == "RUNNING"
    assert [(step["step"], step["status"], step["last_state"]) for step in run["steps"]] == [
        ("source", "RUNNING", "IMPORTING")
    ]
    wait = run["current_wait"]
    assert wait["step"] == "source" and wait["polls"] == 1
    assert wait["next_check_at"] > run["started_at"]
    # Asked at once, the next check is about the planned 300 s away.
    assert 290 <= wait["next_check_in_seconds"] <= 300
    assert run["steps"][0]["next_check_in_seconds"] == wait["next_check_in_seconds"]


def test_runs_list_newest_first_in_pages_with_filters(api: Api) -> None:
    for number in range(5):
        pipeline = "office" if number % 2 == 0 else "finance"
        api.records.start_run(f"run-{number}", pipeline, f"arn:x:run-{number}", request(pipeline=pipeline))
    api.records.finish_run("run-4", "FAILED")
    seen, token = [], None
    for _ in range(3):
        path = "/runs?limit=2" + (f"&next_token={token}" if token else "")
        page = api.call("GET", path).document
        seen += [run["run_id"] for run in page["runs"]]
        token = page.get("next_token")
    assert seen == ["run-4", "run-3", "run-2", "run-1", "run-0"]
    assert _ids(api, "/runs?pipeline=office") == ["run-4", "run-2", "run-0"]
    assert _ids(api, "/runs?status=RUNNING&pipeline=office") == ["run-2", "run-0"]
    assert _ids(api, "/runs?status=FAILED") == ["run-4"]


def _ids(api: Api, path: str) -> list[str]:
    return [run["run_id"] for run in api.call("GET", path).document["runs"]]


def test_a_token_is_bound_to_its_filters_and_a_forged_one_is_400(api: Api) -> None:
    for number in range(3):
        api.records.start_run(f"run-{number}", "office", f"arn:x:run-{number}", request())
    token = api.call("GET", "/runs?limit=1").document["next_token"]
    other = api.call("GET", f"/runs?limit=1&status=RUNNING&next_token={token}")
    assert other.status == 400 and fields(other) == {"next_token"}
    for forged in ("abc", "e30", "eyJrIjp7InBrIjoxfSwiZiI6W251bGwsbnVsbF19"):
        answer = api.call("GET", f"/runs?next_token={forged}")
        assert answer.status == 400, forged
        assert fields(answer) == {"next_token"}


@pytest.mark.parametrize(
    ("query", "field"), [("limit=0", "limit"), ("limit=abc", "limit"), ("status=LOST", "status")]
)
def test_bad_query_parameters_are_400(api: Api, query: str, field: str) -> None:
    answer = api.call("GET", f"/runs?{query}")
    assert answer.status == 400
    assert fields(answer) == {field}


def test_an_unknown_route_answers_the_error_document(api: Api) -> None:
    answer = api.call("DELETE", "/runs")
    assert answer.status == 404
    assert answer.document["error"]["code"] == "NotFound"


def test_cancelling_a_finished_run_is_409(api: Api) -> None:
    api.records.start_run("office-1", "office", "arn:x:office-1", request())
    api.records.finish_run("office-1", "SUCCEEDED")
    answer = api.call("POST", "/runs/office-1/cancel")
    assert answer.status == 409
    assert "SUCCEEDED" in answer.document["error"]["message"]


@pytest.mark.parametrize("content_type", ["application/x-www-form-urlencoded", "text/plain", "image/png", ""])
def test_a_body_is_read_as_json_whatever_its_content_type(api: Api, content_type: str) -> None:
    answer = api.call("POST", "/runs", raw=b'{"pipeline": "golden"}', content_type=content_type)
    assert answer.status == 202, answer.document


@pytest.mark.parametrize("path", ["/runs", "/workflows/image-pipeline/runs", "/workflows/retention/runs"])
def test_an_array_of_requests_is_refused_and_starts_nothing(api: Api, path: str) -> None:
    retention = {"name": "web-retention", "pipelines": ["web"]}
    body = [retention, retention] if "retention" in path else [request(), request(pipeline="other")]
    answer = api.call("POST", path, body)
    assert answer.status == 400, answer.document
    assert fields(answer) == {"(body)"}
    assert "JSON object" in answer.document["error"]["fields"][0]["message"]
    assert api.executions() == [] and api.executions("retention") == []


def test_a_body_with_a_key_written_twice_is_refused(api: Api) -> None:
    raw = b'{"pipeline": "golden", "pipeline": "office"}'
    answer = api.call("POST", "/runs", raw=raw)
    assert answer.status == 400, answer.document
    (problem,) = answer.document["error"]["fields"]
    assert problem["field"] == "(body)" and "'pipeline'" in problem["message"]
    assert api.executions() == []
