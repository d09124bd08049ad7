"""`image-factory start|status|watch|list|cancel --local` against the run API served in this process."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from image_factory.cli import main
from image_factory.remote.local_server import LocalApiServer
from tests.api.local_api import manual_snapshot_request, step_status, wait_for
from tests.engine.pipeline_support import fast_engine, fast_request

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server() -> Iterator[LocalApiServer]:
    with LocalApiServer(fast_engine(), port=0) as running:
        yield running


def cli(server: LocalApiServer, *arguments: str) -> list[str]:
    return [*arguments, "--local", "--endpoint", server.url]


def request_file(tmp_path: Path, document: dict[str, object]) -> str:
    path = tmp_path / "request.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return str(path)


def started_run(capsys: pytest.CaptureFixture[str]) -> str:
    line = capsys.readouterr().out.splitlines()[0]
    assert line.startswith("started ")
    return line.split()[1]


def test_start_then_watch_follows_the_run_to_success(
    server: LocalApiServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(cli(server, "start", request_file(tmp_path, fast_request("from-existing-image")))) == 0
    run_id = started_run(capsys)

    assert main([*cli(server, "watch", run_id), "--interval", "0.05"]) == 0

    out = capsys.readouterr().out
    assert f"{run_id}: SUCCEEDED" in out
    for step in ("source", "builder_slot", "builder", "snapshot", "cleanup"):
        assert f"  {step}" in out
    assert "  new image: from-existing-image-" in out and "  root volume: " in out
    # The run id holds the pipeline's first words; the image's name says them once.
    assert f"  new image: from-existing-image-{run_id.removeprefix('from-existing-')}\n" in out
    assert main(cli(server, "status", run_id)) == 0
    assert "  new image: from-existing-image-" in capsys.readouterr().out
    assert main(cli(server, "status", run_id, "--json")) == 0
    assert json.loads(capsys.readouterr().out)["status"] == "SUCCEEDED"
    assert main(cli(server, "list", "--pipeline", "from-existing-image", "--status", "SUCCEEDED")) == 0
    assert run_id in capsys.readouterr().out


def test_a_configured_pipeline_starts_by_name(
    server: LocalApiServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(cli(server, "start", "--pipeline", "from-existing-image")) == 0
    assert re.match(r"from-existing-\d{8}-\d{6}-[0-9a-f]{4}$", started_run(capsys))  # its first words


def test_cancel_ends_the_run_cancelled_and_watch_says_so(
    server: LocalApiServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(cli(server, "start", request_file(tmp_path, manual_snapshot_request()))) == 0
    run_id = started_run(capsys)
    wait_for(server.url, run_id, lambda run: step_status(run, "snapshot") == "RUNNING")

    assert main(cli(server, "cancel", run_id)) == 0
    out = capsys.readouterr().out
    assert f"{run_id}: CANCELLING" in out and f"image-factory watch {run_id}" in out

    assert main([*cli(server, "watch", run_id), "--interval", "0.05"]) == 1
    assert f"{run_id}: CANCELLED" in capsys.readouterr().out


def test_a_bad_request_is_exit_2_naming_every_bad_field(
    server: LocalApiServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = {**fast_request("from-existing-image"), "builder": {"instance_type": "huge", "root_volume_gb": 1}}
    assert main(cli(server, "start", request_file(tmp_path, bad))) == 2
    error = capsys.readouterr().err
    assert "builder.instance_type" in error and "builder.root_volume_gb" in error


def test_usage_mistakes_and_unknown_runs(server: LocalApiServer, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(cli(server, "start")) == 2
    assert main(cli(server, "status", "no-such-run")) == 1
    assert "NotFound" in capsys.readouterr().err
    assert main(["status", "x", "--local", "--endpoint", "http://127.0.0.1:9"]) == 1
    assert "no answer" in capsys.readouterr().err


def json_lines(text: str) -> list[dict[str, object]]:
    lines = text.splitlines()
    assert lines, "nothing printed"
    return [json.loads(line) for line in lines]


def test_watch_json_prints_one_run_document_per_line(
    server: LocalApiServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(cli(server, "start", request_file(tmp_path, fast_request("from-existing-image")))) == 0
    run_id = started_run(capsys)

    assert main([*cli(server, "watch", run_id), "--interval", "0.05", "--json"]) == 0

    documents = json_lines(capsys.readouterr().out)
    assert {document["run_id"] for document in documents} == {run_id}
    assert documents[-1]["status"] == "SUCCEEDED"


def test_start_json_watch_prints_only_json_the_start_then_the_run(
    server: LocalApiServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    request = request_file(tmp_path, fast_request("from-existing-image"))
    assert main([*cli(server, "start", request), "--json", "--watch"]) == 0

    started, *runs = json_lines(capsys.readouterr().out)
    assert started["status"] == "STARTING" and "links" in started
    assert runs and runs[-1]["run_id"] == started["run_id"] and runs[-1]["status"] == "SUCCEEDED"


@pytest.mark.parametrize(
    ("command", "code", "exit_code"),
    [
        (["status", "no-such-run"], "NotFound", 1),
        (["cancel", "no-such-run"], "NotFound", 1),
        (["start"], "InvalidInput", 2),
    ],
)
def test_under_json_an_error_is_a_json_document_on_stdout(
    server: LocalApiServer, capsys: pytest.CaptureFixture[str], command: list[str], code: str, exit_code: int
) -> None:
    assert main([*cli(server, *command), "--json"]) == exit_code
    printed = capsys.readouterr()
    error = json.loads(printed.out)["error"]
    assert error["code"] == code and error["message"] and printed.err == ""


def test_under_json_a_bad_request_names_its_fields_in_the_error_document(
    server: LocalApiServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = {**fast_request("from-existing-image"), "builder": {"instance_type": "huge", "root_volume_gb": 1}}
    assert main([*cli(server, "start", request_file(tmp_path, bad)), "--json"]) == 2
    error = json.loads(capsys.readouterr().out)["error"]
    assert error["code"] == "InvalidRequest"
    assert {"builder.instance_type", "builder.root_volume_gb"} <= {item["field"] for item in error["fields"]}


def test_under_json_a_local_run_that_cannot_start_answers_a_json_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", "--local", "no-such-request", "--json"]) == 2
    printed = capsys.readouterr()
    assert json.loads(printed.out)["error"]["code"] == "InvalidInput" and printed.err == ""


def test_starting_a_lifecycle_request_without_its_workflow_gets_one_hint(
    server: LocalApiServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(cli(server, "start", "retention-dry-run")) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "this looks like a retention request: add --workflow retention" in error
