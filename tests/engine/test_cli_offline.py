"""`image-factory validate` and `image-factory schema`: offline commands, no engine."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from functions.workflows import WORKFLOWS
from image_factory.cli import main
from image_factory.commands.schema import SCHEMAS
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


@pytest.mark.parametrize(
    ("workflow", "document", "field"),
    [
        (
            "fleet-rollout",
            {"name": "web", "image_name": "web-2", "fleets": [{"name": "web 2026 !!"}]},
            "fleets.0.name",
        ),
        (
            "fleet-rollout",
            {"name": "web", "image_name": "web 2026 !!", "fleets": [{"name": "web"}]},
            "image_name",
        ),
        ("managed-update", {"name": "office-updates", "image_name": "o" * 250}, "image_name"),
    ],
)
def test_validate_refuses_a_name_that_only_starts_well(
    workflow: str, document: dict[str, object], field: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    request = tmp_path / "request.json"
    request.write_text(json.dumps(document))

    assert main(["validate", "--workflow", workflow, str(request)]) == 2
    assert f"  {field}: " in capsys.readouterr().err


def _patterns(schema: object) -> list[str]:
    if isinstance(schema, dict):
        own = [schema["pattern"]] if isinstance(schema.get("pattern"), str) else []
        return own + [found for value in schema.values() for found in _patterns(value)]
    if isinstance(schema, list):
        return [found for value in schema for found in _patterns(value)]
    return []


@pytest.mark.parametrize("document", sorted(SCHEMAS))
def test_every_published_pattern_is_anchored(document: str) -> None:
    # JSON Schema (and pydantic) match a pattern anywhere in the value: unanchored, a bad name
    # that merely starts with a good one passes.
    patterns = _patterns(SCHEMAS[document]())
    assert [p for p in patterns if not (p.startswith("^") and p.endswith("$"))] == []


def test_every_pattern_of_the_api_and_the_pipelines_file_is_anchored() -> None:
    from functions.api.app import openapi_document
    from stacks.config import json_schema

    patterns = _patterns(openapi_document()) + _patterns(json_schema())
    assert patterns and [p for p in patterns if not (p.startswith("^") and p.endswith("$"))] == []


@pytest.mark.parametrize(
    ("workflow", "document", "field"),
    [
        (
            "image-pipeline",
            {
                "pipeline": "office",
                "source": {"image_name": "base"},
                "builder": {
                    "instance_type": "stream.standard.large",
                    "subnet_ids": ["subnet-0a1b2c3d4e5f60718"],
                },
                "snapshot": {"tags": {"team": "apps", "image-factory:run-id": "mine"}},
            },
            "snapshot.tags.image-factory:run-id",
        ),
        (
            "managed-update",
            {"name": "office-updates", "image_name": "office", "tags": {"Image-Factory:Stage": "prod"}},
            "tags.Image-Factory:Stage",
        ),
    ],
)
def test_validate_refuses_a_tag_the_factory_sets_itself(
    workflow: str, document: dict[str, object], field: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    request = tmp_path / "request.json"
    request.write_text(json.dumps(document))

    assert main(["validate", "--workflow", workflow, str(request)]) == 2
    errors = capsys.readouterr().err
    assert f"  {field}" in errors and "set by the factory" in errors


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("request.json", '{"pipeline": "office", "source": {"image_name": "a", "image_name": "b"}}'),
        ("request.yaml", "pipeline: office\nsource:\n  image_name: a\n  image_name: b\n"),
    ],
)
def test_validate_refuses_a_key_written_twice(
    name: str, text: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    request = tmp_path / name
    request.write_text(text)

    assert main(["validate", str(request)]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "'image_name'" in error and "twice" in error


@pytest.mark.parametrize(
    ("example", "given", "hinted"),
    [
        ("fleet-rollout-web", [], "fleet-rollout"),
        ("retention-dry-run", [], "retention"),
        ("export-backup-nightly", ["--workflow", "managed-update"], "export-backup"),
        ("reference", ["--workflow", "retention"], "image-pipeline"),
    ],
)
def test_a_request_of_another_workflow_gets_one_hint(
    example: str, given: list[str], hinted: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["validate", example, *given]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1
    article = "an" if hinted[0] in "aeiou" else "a"
    assert f"this looks like {article} {hinted} request: add --workflow {hinted}" in error


def test_a_local_run_of_a_lifecycle_request_without_its_workflow_gets_the_hint(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["run", "--local", "retention-dry-run"]) == 2
    assert "add --workflow retention" in capsys.readouterr().err


def test_a_request_that_could_be_of_several_workflows_gets_its_field_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    request = tmp_path / "request.json"
    request.write_text(json.dumps({"name": "nightly"}))

    assert main(["validate", str(request)]) == 2
    errors = capsys.readouterr().err
    assert "looks like" not in errors and "  name: " in errors


def test_a_yaml_merge_overridden_by_its_own_key_is_no_duplicate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    request = tmp_path / "request.yaml"
    request.write_text(
        "x-builder: &builder {instance_type: stream.standard.medium, subnet_ids: [subnet-0a1b2c3d4e5f6]}\n"
        "pipeline: office\nsource: {image_name: base}\n"
        "builder: {<<: *builder, instance_type: stream.standard.large}\n"
    )

    assert main(["validate", str(request)]) == 2  # x-builder is no request field
    errors = capsys.readouterr().err
    assert "x-builder" in errors and "twice" not in errors
