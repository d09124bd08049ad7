"""`image-factory report RUN_ID --html FILE`: the page of a run recorded behind the run API."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from image_factory.cli import main
from image_factory.remote.local_server import LocalApiServer
from tests.api.local_api import wait_for
from tests.engine.pipeline_support import fast_engine, fast_request

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server() -> Iterator[LocalApiServer]:
    with LocalApiServer(fast_engine(), port=0) as running:
        yield running


def test_a_recorded_run_s_page_shows_its_checks_and_what_the_api_cannot_count(
    server: LocalApiServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    request = tmp_path / "request.json"
    request.write_text(json.dumps(fast_request("from-existing-image")))
    assert main(["start", str(request), "--local", "--endpoint", server.url, "--json"]) == 0
    run_id = json.loads(capsys.readouterr().out)["run_id"]
    run = wait_for(server.url, run_id, lambda run: run["status"] == "SUCCEEDED")
    page = tmp_path / "run.html"

    assert main(["report", run_id, "--html", str(page), "--local", "--endpoint", server.url]) == 0

    html = page.read_text(encoding="utf-8")
    assert html.count('class="check"') == sum(step["polls"] for step in run["steps"]) > 0
    assert f"Run {run_id}" in html and "SUCCEEDED" in html
    assert "state transitions</th><td>unknown" in html  # the API does not count them
    assert f"wrote {page}" in capsys.readouterr().out


def test_an_unknown_run_or_an_unwritable_page_is_named(
    server: LocalApiServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "no-such-folder" / "run.html"
    local = ["--local", "--endpoint", server.url]

    assert main(["report", "no-such-run", "--html", str(tmp_path / "x.html"), *local]) == 1
    assert "no run 'no-such-run'" in capsys.readouterr().err
    assert main(["report", "no-such-run", "--html", str(missing), *local]) == 2
    assert "no-such-folder" in capsys.readouterr().err
