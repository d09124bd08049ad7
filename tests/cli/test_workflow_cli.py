"""`image-factory start --workflow NAME --local` and friends for lifecycle runs, on the local API."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from image_factory.cli import main
from image_factory.remote.local_server import LocalApiServer
from tests.api.local_api import lifecycle_engine
from tests.cli.test_runs_cli import cli, request_file, started_run

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server() -> Iterator[LocalApiServer]:
    with LocalApiServer(lifecycle_engine(), port=0) as running:
        yield running


def test_a_bundled_retention_example_starts_and_is_watched_to_success(
    server: LocalApiServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(cli(server, "start", "--workflow", "retention", "retention-dry-run")) == 0
    run_id = started_run(capsys)

    assert main([*cli(server, "watch", run_id), "--interval", "0.05"]) == 0

    assert f"{run_id}: SUCCEEDED" in capsys.readouterr().out
    assert main(cli(server, "status", run_id)) == 0
    assert "retention job retention-dry-run" in capsys.readouterr().out
    assert main(cli(server, "list", "--pipeline", "retention-dry-run")) == 0
    header, _, line = capsys.readouterr().out.splitlines()
    assert header.split() == ["run", "workflow", "pipeline", "status", "started", "duration", "step"]
    assert line.split()[:4] == [run_id, "retention", "retention-dry-run", "SUCCEEDED"]
    assert re.fullmatch(r"(\d+h \d\dm|\d+m \d\ds|\d+s)", " ".join(line.split()[5:-1]))


def test_list_pages_on_with_the_token_it_prints(
    server: LocalApiServer, capsys: pytest.CaptureFixture[str]
) -> None:
    for _ in range(3):
        assert main(cli(server, "start", "--workflow", "retention", "retention-dry-run", "--watch")) == 0
    capsys.readouterr()

    assert main(cli(server, "list", "--pipeline", "retention-dry-run", "--limit", "2")) == 0
    first = capsys.readouterr().out.splitlines()
    assert len(first) == 2 + 2 + 1  # header, rule, two runs, the way on
    more = first[-1].split()
    assert more[:5] == ["more:", "image-factory", "list", "--pipeline", "retention-dry-run"]
    assert main(cli(server, *more[2:])) == 0
    rest = capsys.readouterr().out.splitlines()[2:]
    shown = [line.split()[0] for line in first[2:4] + rest if not line.startswith("more:")]
    assert len(shown) == len(set(shown)) >= 3  # no run twice, none lost between the pages


def test_a_request_file_with_an_idempotency_key_starts_one_run(
    server: LocalApiServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    request = request_file(tmp_path, {"name": "keyed", "pipelines": ["web"]})
    command = cli(server, "start", "--workflow", "retention", request, "--idempotency-key", "k-1", "--json")

    assert main(command) == 0
    first = json.loads(capsys.readouterr().out)
    assert main(command) == 0
    again = json.loads(capsys.readouterr().out)

    assert again["run_id"] == first["run_id"]
    assert (first["workflow"], first["pipeline"]) == ("retention", "keyed")


def test_a_bad_lifecycle_request_is_exit_2_naming_every_bad_field(
    server: LocalApiServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = {"name": "r", "pipelines": [], "keep_images": 0}
    assert main(cli(server, "start", "--workflow", "retention", request_file(tmp_path, bad))) == 2
    error = capsys.readouterr().err
    assert "pipelines" in error and "keep_images" in error


def test_usage_mistakes_with_workflows_are_exit_2(
    server: LocalApiServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(cli(server, "start", "--workflow", "retention", "--pipeline", "from-existing-image")) == 2
    assert "--pipeline" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        main(cli(server, "start", "--workflow", "backups", "retention-dry-run"))
    assert exit_info.value.code == 2
