"""`image-factory validate` and `image-factory schema`: offline commands, no engine."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from functions.workflows import WORKFLOWS
from image_factory.cli import main
from image_factory.local_engine.inputs import example_names


@pytest.mark.parametrize("name", example_names("requests"))
def test_every_bundled_request_is_valid(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    # A lifecycle workflow's examples are named after it (export-backup-nightly.json).
    workflow = next((w for w in sorted(WORKFLOWS, key=len, reverse=True) if name.startswith(f"{w}-")), None)
    assert main(["validate", name, *(["--workflow", workflow] if workflow else [])]) == 0
    assert ": valid: " in capsys.readouterr().out


def test_validate_names_every_bad_field(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    request = tmp_path / "bad.json"
    request.write_text(
        json.dumps(
            {
                "pipeline": "no spaces allowed",
                "source": {"ami_id": "ami-0c2b8ca1dad447f8a"},
                "builder": {"instance_type": "stream.standard.large", "root_volume_gb": 600},
                "snapshot": {"image_name": "{pipeline}-{colour}"},
                "surprise": True,
            }
        )
    )

    assert main(["validate", str(request)]) == 2
    errors = capsys.readouterr().err
    for field in ("pipeline", "source", "builder.root_volume_gb", "snapshot.image_name", "surprise"):
        assert f"  {field}: " in errors


def test_validate_refuses_a_file_that_is_not_json_or_yaml(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    request = tmp_path / "broken.json"
    request.write_text('{"pipeline": ')

    assert main(["validate", str(request)]) == 2
    assert "not valid JSON or YAML" in capsys.readouterr().err


def test_validate_refuses_an_unknown_request_and_lists_the_examples(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["validate", "no-such-request"]) == 2
    assert "reference" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("document", "title_or_key"),
    [
        ("request", "pipeline"),
        ("scenario", "durations"),
        ("agent-job", "builder_name"),
        ("agent-result", "status"),
        ("agent-status", "phase"),
    ],
)
def test_schema_prints_a_json_schema(
    document: str, title_or_key: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["schema", document]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert title_or_key in schema["properties"]


@pytest.mark.parametrize("name", example_names("scenarios"))
def test_every_bundled_scenario_loads(name: str) -> None:
    from image_factory.local_engine.inputs import load_scenario

    load_scenario(name)
