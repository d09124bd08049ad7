"""The lifecycle workflows from the command line: run --local, validate and schema with --workflow."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from image_factory.cli import main
from tests.lifecycle.support import IMAGES, backup_request, update_request


@pytest.fixture
def scenario_file(tmp_path: Path) -> Path:
    path = tmp_path / "scenario.yaml"
    path.write_text(yaml.safe_dump({"durations": {"export": 300, "updated_image": 600}, "images": IMAGES}))
    return path


def _write(tmp_path: Path, document: dict[str, Any]) -> Path:
    path = tmp_path / "request.json"
    path.write_text(json.dumps(document))
    return path


@pytest.mark.slow
@pytest.mark.parametrize(
    ("workflow", "request_document", "exit_code"),
    [
        ("export-backup", backup_request(), 0),
        ("managed-update", update_request(), 0),
        ("managed-update", update_request(image_name="no-such-image"), 1),
    ],
)
def test_a_lifecycle_run_on_the_local_engine_reports_its_record(
    workflow: str,
    request_document: dict[str, Any],
    exit_code: int,
    tmp_path: Path,
    scenario_file: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    request = _write(tmp_path, request_document)
    argv = [
        "run",
        "--local",
        "--workflow",
        workflow,
        str(request),
        "--scenario",
        str(scenario_file),
        "--json",
    ]

    code = main(argv)
    report = json.loads(capsys.readouterr().out)

    assert code == exit_code
    assert report["status"] == ("SUCCEEDED" if exit_code == 0 else "FAILED")
    assert report["steps"]


def test_a_request_for_another_workflow_is_refused_before_anything_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    request = _write(tmp_path, backup_request())

    assert main(["run", "--local", str(request)]) == 2  # the image pipeline's request model refuses it
    assert "this looks like an export-backup request: add --workflow export-backup" in capsys.readouterr().err


def test_validate_names_every_bad_field_of_a_lifecycle_request(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    request = _write(tmp_path, {"name": "nightly", "images": {}, "role_arn": "nope", "max_concurrency": 0})

    assert main(["validate", "--workflow", "export-backup", str(request)]) == 2
    errors = capsys.readouterr().err
    for field in ("images", "role_arn", "max_concurrency"):
        assert f"  {field}: " in errors


@pytest.mark.parametrize(
    ("workflow", "document", "summary"),
    [
        ("export-backup", backup_request(), "export images with name starting 'app-' to AMIs, 2 at a time"),
        ("managed-update", update_request(then_export={"role_arn": "arn:aws:iam::1:role/x"}), "then export"),
    ],
)
def test_validate_says_what_a_valid_lifecycle_request_would_do(
    workflow: str, document: dict[str, Any], summary: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["validate", "--workflow", workflow, str(_write(tmp_path, document))]) == 0
    assert summary in capsys.readouterr().out


@pytest.mark.parametrize("workflow", ["export-backup", "managed-update"])
def test_every_workflow_request_has_a_published_schema(
    workflow: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["schema", f"{workflow}-request"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert "name" in schema["required"]
