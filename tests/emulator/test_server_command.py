"""`image-factory emulator serve|schema`: the HTTP front as a person starts it."""

from __future__ import annotations

import json
import os
import selectors
import shlex
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from image_factory.cli import main

ROLE = "arn:aws:iam::123456789012:role/AppStreamImageFactory"
# A safety net so a broken server fails the test instead of hanging it; never reached when healthy.
STARTUP_LIMIT_SECONDS = 60


def start_server(*args: str, env: dict[str, str] | None = None) -> tuple[subprocess.Popen[str], str, str]:
    """Start `image-factory emulator serve --port 0 ...`; returns the process, its URL and its banner."""
    process = subprocess.Popen(
        [sys.executable, "-m", "image_factory.cli", "emulator", "serve", "--port", "0", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        if not selector.select(STARTUP_LIMIT_SECONDS):
            process.kill()
            pytest.fail("the emulator printed nothing")
    banner = [process.stdout.readline()]
    while banner[-1] and not banner[-1].startswith("Press Ctrl-C"):
        banner.append(process.stdout.readline())
    assert banner[0].startswith("AppStream emulator listening on "), banner
    return process, banner[0].rsplit(" ", 1)[-1].strip(), "".join(banner)


@pytest.fixture
def instant_import_scenario(tmp_path: Path) -> Path:
    path = tmp_path / "instant.yaml"
    path.write_text("durations:\n  import: 0\n")
    return path


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        yield holder.getsockname()[1]


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_serves_a_scenario_until_stopped(instant_import_scenario: Path, stop_signal: signal.Signals) -> None:
    process, url, banner = start_server("--scenario", str(instant_import_scenario), "--time-scale", "1")
    try:
        client = boto3.client("appstream", region_name="us-east-1", endpoint_url=url)
        client.create_imported_image(Name="base", SourceAmiId="ami-0123456789abcdef0", IamRoleArn=ROLE)
        state = client.describe_images(Names=["base"])["Images"][0]["State"]
    finally:
        process.send_signal(stop_signal)
        _, stderr = process.communicate(timeout=STARTUP_LIMIT_SECONDS)

    assert state == "AVAILABLE"  # the scenario's zero-second import
    assert process.returncode == 0
    assert f"AWS_ENDPOINT_URL_APPSTREAM={url}" in banner
    assert f"--endpoint-url {url}" in banner
    assert "stopped" in stderr


def test_a_bad_scenario_is_one_line_naming_file_and_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario = tmp_path / "bad.yaml"
    scenario.write_text("quotas:\n  image_builders: -1\n")

    code = main(["emulator", "serve", "--port", "0", "--scenario", str(scenario)])

    error = capsys.readouterr().err
    assert code == 2
    assert error.count("\n") == 1
    assert str(scenario) in error
    assert "quotas.image_builders" in error


def test_an_unparsable_scenario_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    scenario = tmp_path / "broken.yaml"
    scenario.write_text("durations: [\n")

    code = main(["emulator", "serve", "--port", "0", "--scenario", str(scenario)])

    error = capsys.readouterr().err
    assert (code, error.count("\n")) == (2, 1)
    assert str(scenario) in error


def test_a_busy_port_is_a_usage_error(busy_port: int, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["emulator", "serve", "--port", str(busy_port)])

    assert code == 2
    assert f"cannot listen on 127.0.0.1:{busy_port}" in capsys.readouterr().err


def test_the_time_scale_must_be_positive(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["emulator", "serve", "--port", "0", "--time-scale", "0"])

    assert code == 2
    assert "--time-scale" in capsys.readouterr().err


def test_schema_prints_the_scenario_json_schema(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["emulator", "schema"])

    schema = json.loads(capsys.readouterr().out)
    assert code == 0
    assert {"durations", "quotas", "faults"} <= set(schema["properties"])


def test_the_banner_command_works_on_a_machine_without_credentials(tmp_path: Path) -> None:
    clean = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "AWS_CONFIG_FILE": str(tmp_path / "no-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    process, url, banner = start_server(env=clean)
    try:
        (line,) = [line.strip() for line in banner.splitlines() if "aws appstream describe-images" in line]
        words = shlex.split(line)
        assignments = dict(word.split("=", 1) for word in words[: words.index("aws")])
        command = [sys.executable, "-m", "awscli", *words[words.index("aws") + 1 :], "--output", "json"]
        completed = subprocess.run(
            command, env={**clean, **assignments}, capture_output=True, text=True, timeout=120, check=False
        )
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=STARTUP_LIMIT_SECONDS)

    assert completed.returncode == 0, completed.stderr
    assert "Images" in json.loads(completed.stdout)
    assert f"--endpoint-url {url}" in line
