"""`image-factory emulator create-image`: a manual snapshot finishes locally, as an administrator would."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from appstream_emulator.core import Emulator
from appstream_emulator.server import serve_in_thread
from image_factory.cli import main
from image_factory.remote.local_server import LocalApiServer
from tests.api.local_api import manual_snapshot_request, step_status, wait_for
from tests.cli.test_runs_cli import request_file
from tests.engine.pipeline_support import fast_engine

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server() -> Iterator[LocalApiServer]:
    with LocalApiServer(fast_engine(), port=0) as running:
        yield running


def test_the_administrator_s_step_lets_a_manual_run_finish(
    server: LocalApiServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    request = request_file(tmp_path, manual_snapshot_request())
    assert main(["start", request, "--local", "--endpoint", server.url, "--json"]) == 0
    run_id = json.loads(capsys.readouterr().out)["run_id"]
    run = wait_for(server.url, run_id, lambda run: step_status(run, "snapshot") == "RUNNING")
    steps = {step["step"]: step["resource"] for step in run["steps"]}
    builder, image = steps["builder"]["builder_name"], steps["snapshot"]["image_name"]
    # `status` says what to run, word for word.
    assert main(["status", run_id, "--local", "--endpoint", server.url]) == 0
    (hint,) = [line for line in capsys.readouterr().out.splitlines() if "locally:" in line]
    command = hint.split("locally: image-factory ", 1)[1].split()
    assert command == ["emulator", "create-image", builder, image, "--endpoint", server.url]

    assert main(command) == 0

    assert f"image {image} is being created from image builder {builder}" in capsys.readouterr().out
    done = wait_for(server.url, run_id, lambda run: run["status"] != "RUNNING")
    assert done["status"] == "SUCCEEDED"


def test_a_builder_that_is_not_running_is_refused_by_name(
    server: LocalApiServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["emulator", "create-image", "no-such-builder", "img", "--endpoint", server.url]) == 1
    refused = capsys.readouterr().err
    assert "OperationNotPermittedException: Image builder no-such-builder is absent" in refused


def test_the_emulator_s_own_front_takes_it_too_and_names_a_bad_image_name(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with serve_in_thread(Emulator()) as url:
        assert main(["emulator", "create-image", "b-1", "bad name!", "--endpoint", url]) == 2
        assert "name: String should match pattern" in capsys.readouterr().err
        assert main(["emulator", "create-image", "b-1", "img", "--endpoint", url]) == 1
        assert "Image builder b-1 is absent" in capsys.readouterr().err


def test_an_unreachable_endpoint_or_a_bad_url_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["emulator", "create-image", "b", "i", "--endpoint", "http://127.0.0.1:9"]) == 1
    assert "cannot reach http://127.0.0.1:9" in capsys.readouterr().err
    assert main(["emulator", "create-image", "b", "i", "--endpoint", "localhost:8080"]) == 2
    assert "--endpoint 'localhost:8080'" in capsys.readouterr().err
