"""The shape of the command line: help without a command, --version, and one way to name a scenario."""

from __future__ import annotations

import argparse
import subprocess
import sys
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


def test_run_as_a_module_a_mistake_is_one_line_not_a_traceback() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "image_factory.cli", "run", "no-such-request"],
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert done.returncode == 2
    assert done.stderr.startswith("image-factory: no-such-request: no such file")
    assert "Traceback" not in done.stderr
