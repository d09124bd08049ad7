"""`image-factory cancel` names what cleanup leaves behind: here an import still under way."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from image_factory.cli import main
from image_factory.remote.local_server import LocalApiServer
from tests.api.local_api import step_status, wait_for
from tests.engine.pipeline_support import fast_engine, fast_request, fast_scenario

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server() -> Iterator[LocalApiServer]:
    # An import that takes simulated weeks: it is still IMPORTING whenever the run is cancelled.
    with LocalApiServer(fast_engine(fast_scenario(durations={"import": 3_000_000})), port=0) as running:
        yield running


def test_a_cancelled_import_is_named_with_when_and_how_to_remove_it(
    server: LocalApiServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    local = ["--local", "--endpoint", server.url]
    request = tmp_path / "request.json"
    request.write_text(json.dumps(fast_request("reference")), encoding="utf-8")
    assert main(["start", str(request), *local]) == 0
    run_id = capsys.readouterr().out.split()[1]
    wait_for(server.url, run_id, lambda run: step_status(run, "source") == "RUNNING")

    assert main(["cancel", run_id, *local]) == 0
    assert main(["watch", run_id, "--interval", "0.05", *local]) == 1

    out = capsys.readouterr().out
    assert f"{run_id}: CANCELLED" in out
    assert "imported image 'reference-" in out and " IMPORTING: once it is no longer IMPORTING, " in out
    assert "aws appstream delete-image --name reference-" in out
