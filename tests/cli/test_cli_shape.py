"""The shape of the command line: help without a command, --version, and one way to name a scenario."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import pytest

from image_factory.cli import main


@pytest.mark.parametrize(("argv", "lists"), [([], "COMMAND"), (["api"], "ACTION"), (["emulator"], "ACTION")])
def test_a_group_without_a_command_prints_its_help(
    argv: list[str], lists: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: image-factory") and lists in out and "show this help" in out


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out.startswith("image-factory ")


def test_run_needs_no_local_flag_and_still_accepts_it(monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[str] = []
    monkeypatch.setattr(
        "image_factory.commands.run.run_locally", lambda request, *_, **__: started.append(request) or 0
    )
    assert main(["run", "reference"]) == 0
    assert main(["run", "--local", "reference"]) == 0
    assert started == ["reference", "reference"]


def test_api_serve_needs_no_local_flag(capsys: pytest.CaptureFixture[str]) -> None:
    # A bad port is refused after the mode is settled: the refusal is about the port, not --local.
    assert main(["api", "serve", "--port", "70000"]) == 2
    assert "--port must be" in capsys.readouterr().err


def test_emulator_serve_takes_a_bundled_scenario_name(monkeypatch: pytest.MonkeyPatch) -> None:
    served: list[Any] = []

    class NoServer:
        def __init__(self, emulator: Any, *_: Any) -> None:
            served.append(emulator)
            raise OSError("not listening in a test")

    monkeypatch.setattr("appstream_emulator.server.EmulatorServer", NoServer)
    assert main(["emulator", "serve", "--scenario", "throttling-storm"]) == 2
    assert len(served) == 1


def test_a_subcommand_keeps_its_own_handler() -> None:
    from image_factory.cli import build_parser

    args: argparse.Namespace = build_parser().parse_args(["schema", "request"])
    assert args.func.__name__ != "show_help"


BAD_PIPELINES = """\
pipelines:
  - name: golden
    request:
      source: {image_name: base-image}
      builder: {instance_type: huge, subnet_ids: [subnet-0a1b2c3d4e5f60718]}
"""


def test_api_serve_refuses_the_pipelines_file_deploy_and_run_refuse(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "pipelines.yaml"
    config.write_text(BAD_PIPELINES)

    assert main(["run", "--config", str(config), "reference"]) == 2
    refused_by_run = capsys.readouterr().err
    assert main(["api", "serve", "--port", "0", "--pipelines", str(config)]) == 2
    refused = capsys.readouterr().err
    assert refused == refused_by_run
    assert refused.count("\n") == 1 and "pipelines[0].request.builder.instance_type" in refused
