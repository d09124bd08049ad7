"""Input the CLI cannot use is named in one line with exit 2, never a traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from image_factory.cli import main


@pytest.mark.parametrize(
    "command",
    [["validate"], ["run", "--local"], ["start", "--local", "--endpoint", "http://127.0.0.1:9"]],
)
def test_a_request_file_that_is_not_utf8_is_named(
    command: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    request = tmp_path / "request.json"
    request.write_bytes('{"pipeline": "caf\u00e9"}'.encode("latin-1"))

    assert main([*command, str(request)]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and str(request) in error and "UTF-8" in error


@pytest.mark.parametrize(
    "command", [["run", "--local", "reference", "--config"], ["api", "serve", "--port", "0", "--pipelines"]]
)
def test_a_configuration_file_that_is_not_utf8_is_named(
    command: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "pipelines.yaml"
    config.write_bytes("pipelines: [] # caf\u00e9\n".encode("latin-1"))

    assert main([*command, str(config)]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and str(config) in error and "UTF-8" in error


@pytest.mark.parametrize("endpoint", ["not-a-url", "localhost:8080", "http://", "http://127.0.0.1:99999"])
@pytest.mark.parametrize("command", [["status", "some-run"], ["list"], ["start", "reference"]])
def test_an_endpoint_that_is_no_url_is_named(
    endpoint: str, command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*command, "--local", "--endpoint", endpoint]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "--endpoint" in error and "http(s)://host:port" in error


def test_run_as_a_module_a_mistake_is_one_line_too(tmp_path: Path) -> None:
    config = tmp_path / "pipelines.yaml"
    config.write_text("pipelines: [{name: golden}]\n")
    command = [
        sys.executable,
        "-m",
        "image_factory.cli",
        "run",
        "--local",
        "reference",
        "--config",
        str(config),
    ]
    completed = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)

    assert completed.returncode == 2
    assert completed.stderr.startswith("image-factory: ") and completed.stderr.count("\n") == 1


def test_under_json_a_command_line_mistake_is_a_json_error_too(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["status", "--local", "--json"]) == 2
    printed = capsys.readouterr()
    error = json.loads(printed.out)["error"]
    assert error["code"] == "InvalidInput" and "RUN_ID" in error["message"] and printed.err == ""


def test_without_json_a_command_line_mistake_is_argparse_usage(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["status", "--local"])
    assert exit_.value.code == 2
    assert "usage: image-factory status" in capsys.readouterr().err
