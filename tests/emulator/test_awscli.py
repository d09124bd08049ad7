"""The real AWS CLI drives the HTTP front through the whole import -> build -> export story.

The CLI runs as a subprocess: importing `awscli` in this process would alias its
vendored botocore over the real one. Its botocore ranks `json` above
`smithy-rpc-v2-cbor`, so it speaks awsJson1_1 to AppStream; a copy of its own model
listing only CBOR (through AWS_DATA_PATH) makes it speak the other protocol.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from appstream_emulator.clock import ManualClock
from tests.emulator.conftest import protocols_served

ROLE = "arn:aws:iam::123456789012:role/AppStreamImageFactory"
AMI = "ami-0123456789abcdef0"
HOURS = 3600


class Cli:
    """Runs `aws appstream ...` against one endpoint with placeholder credentials."""

    def __init__(self, endpoint: str, home: Path, data_path: Path | None = None) -> None:
        self.endpoint = endpoint
        self.env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": str(home),
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_CONFIG_FILE": str(home / "no-config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(home / "no-credentials"),
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_RETRY_MODE": "standard",
            "AWS_MAX_ATTEMPTS": "1",
        }
        if data_path is not None:
            self.env["AWS_DATA_PATH"] = str(data_path)

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "awscli", "appstream", *args]
        command += ["--endpoint-url", self.endpoint, "--region", "us-east-1", "--output", "json"]
        return subprocess.run(command, env=self.env, capture_output=True, text=True, timeout=120, check=False)

    def ok(self, *args: str) -> Any:
        completed = self.run(*args)
        assert completed.returncode == 0, completed.stderr
        return json.loads(completed.stdout) if completed.stdout.strip() else None


@pytest.fixture
def cbor_data_path(tmp_path: Path) -> Path:
    """A data directory holding the CLI's own AppStream model, listing only smithy-rpc-v2-cbor."""
    spec = importlib.util.find_spec("awscli")  # locates the package without importing it
    assert spec is not None and spec.submodule_search_locations
    model_dir = Path(next(iter(spec.submodule_search_locations))) / "botocore/data/appstream/2016-12-01"
    model = json.loads((model_dir / "service-2.json").read_text())
    model["metadata"]["protocols"] = ["smithy-rpc-v2-cbor"]
    target = tmp_path / "data" / "appstream" / "2016-12-01"
    target.mkdir(parents=True)
    (target / "service-2.json").write_text(json.dumps(model))
    return tmp_path / "data"


def test_import_build_and_export_with_the_aws_cli(
    endpoint: str, clock: ManualClock, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    cli = Cli(endpoint, tmp_path)
    start = clock.now()

    created = cli.ok(
        "create-imported-image", "--name", "base", "--source-ami-id", AMI, "--iam-role-arn", ROLE
    )
    importing = cli.ok("describe-images", "--names", "base")["Images"][0]["State"]
    clock.advance(6 * HOURS)
    available = cli.ok("describe-images", "--names", "base")["Images"][0]
    cli.ok(
        "create-image-builder",
        "--name", "builder",
        "--image-name", "base",
        "--instance-type", "stream.standard.medium",
        "--root-volume-config", "VolumeSizeInGb=300",
    )  # fmt: skip
    builder = cli.ok("describe-image-builders", "--names", "builder")["ImageBuilders"][0]
    task = cli.ok(
        "create-export-image-task", "--image-name", "base", "--ami-name", "base-ami", "--iam-role-arn", ROLE
    )
    task_id = task["ExportImageTask"]["TaskId"]
    clock.advance(6 * HOURS)
    exported = cli.ok("get-export-image-task", "--task-id", task_id)["ExportImageTask"]
    listed = cli.ok("list-export-image-tasks")["ExportImageTasks"]

    assert created["Image"]["State"] == importing == "IMPORTING"
    assert (available["State"], available["ImageType"]) == ("AVAILABLE", "CUSTOM")
    assert (
        available["CreatedTime"] == start
    )  # the CLI (v1) prints timestamps as the epoch seconds it received
    assert builder["RootVolumeConfig"] == {"VolumeSizeInGb": 300}
    assert exported["State"] == "COMPLETED"
    assert exported["AmiId"].startswith("ami-")
    assert [(t["TaskId"], t["State"], t["AmiId"]) for t in listed] == [
        (task_id, "COMPLETED", exported["AmiId"])
    ]
    assert protocols_served(caplog) == {"json"}  # what the AWS CLI chooses for AppStream


def test_an_out_of_range_volume_size_is_an_appstream_error(
    endpoint: str, clock: ManualClock, tmp_path: Path
) -> None:
    cli = Cli(endpoint, tmp_path)
    cli.ok("create-imported-image", "--name", "base", "--source-ami-id", AMI, "--iam-role-arn", ROLE)
    clock.advance(6 * HOURS)

    refused = cli.run(
        "create-image-builder",
        "--name", "builder",
        "--image-name", "base",
        "--instance-type", "stream.standard.medium",
        "--root-volume-config", "VolumeSizeInGb=600",
    )  # fmt: skip

    assert refused.returncode != 0
    assert "(InvalidParameterCombinationException)" in refused.stderr
    assert "between 200 and 500" in refused.stderr


def test_dry_run_comes_back_as_dry_run_operation_exception(endpoint: str, tmp_path: Path) -> None:
    cli = Cli(endpoint, tmp_path)

    dry = cli.run(
        "create-imported-image", "--name", "base", "--source-ami-id", AMI, "--iam-role-arn", ROLE, "--dry-run"
    )
    missing = cli.run("describe-images", "--names", "base")

    assert dry.returncode != 0
    assert "(DryRunOperationException)" in dry.stderr
    assert "(ResourceNotFoundException)" in missing.stderr  # the dry run created nothing


def test_the_aws_cli_speaking_cbor(
    endpoint: str, clock: ManualClock, tmp_path: Path, cbor_data_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    cli = Cli(endpoint, tmp_path, data_path=cbor_data_path)
    start = clock.now()

    created = cli.ok(
        "create-imported-image", "--name", "base", "--source-ami-id", AMI, "--iam-role-arn", ROLE
    )
    clock.advance(6 * HOURS)
    image = cli.ok("describe-images", "--names", "base")["Images"][0]
    missing = cli.run("describe-images", "--names", "nothing-here")

    assert created["Image"]["State"] == "IMPORTING"
    assert image["State"] == "AVAILABLE"
    assert image["CreatedTime"] == start  # CBOR tag 1, read back as epoch seconds
    assert missing.returncode != 0
    assert "(ResourceNotFoundException)" in missing.stderr
    assert "nothing-here" in missing.stderr
    assert protocols_served(caplog) == {"smithy-rpc-v2-cbor"}
