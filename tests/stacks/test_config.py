"""The configuration file: a mistake stops the synth and names its field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from stacks.bundling import PROJECT_ROOT
from stacks.config import ConfigError, json_schema, load_config
from stacks.house import LOG_RETENTION

EXAMPLE = PROJECT_ROOT / "stacks" / "pipelines.example.yaml"


def _write(tmp_path: Path, change: dict[str, object]) -> Path:
    document = yaml.safe_load(EXAMPLE.read_text())
    for dotted, value in change.items():
        node = document
        *parents, last = dotted.split(".")
        for part in parents:
            node = node[int(part)] if part.isdigit() else node[part]
        node[int(last) if last.isdigit() else last] = value
    path = tmp_path / "pipelines.yaml"
    path.write_text(yaml.safe_dump(document))
    return path


def test_the_example_configuration_is_valid() -> None:
    config = load_config(EXAMPLE)
    assert config.pipelines[0].request["pipeline"] == config.pipelines[0].name


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"pipelines.0.schedules.0.time_zone": "Europe/Londn"}, "pipelines[0].schedules[0].time_zone"),
        ({"pipelines.0.schedules.0.expression": "cron(0 2 * * MON)"}, "pipelines[0].schedules[0].expression"),
        ({"roles.export_role_arn": "export-role"}, "roles.export_role_arn"),
        ({"settings.log_retention_days": 42}, "settings.log_retention_days"),
        ({"settings.colour": "blue"}, "settings.colour"),
        ({"pipelines.0.request.builder.root_volume_gb": 600}, "pipelines[0].request.builder.root_volume_gb"),
        (
            {"pipelines.0.request.export.role_arn": "arn:aws:iam::123456789012:role/someone-else"},
            "pipelines[0].request.export.role_arn",
        ),
        ({"pipelines.0.image_builder.image_pipeline_arn": "arn:aws:s3:::x"}, "image_pipeline_arn"),
        # A rollout moves a fleet of another region only where runs copy their images.
        (
            {"settings.distribution_regions": ["ap-northeast-1"]},
            "lifecycle.fleet_rollouts[0].request.fleets[2].region: eu-west-1 is not in",
        ),
    ],
)
def test_a_bad_field_is_named(tmp_path: Path, change: dict[str, object], field: str) -> None:
    with pytest.raises(
        ConfigError, match=r"pipelines\.yaml: .*" + field.replace("[", r"\[").replace("]", r"\]")
    ):
        load_config(_write(tmp_path, change))


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"nowhere\.yaml: cannot read"):
        load_config(tmp_path / "nowhere.yaml")


def test_pipeline_names_are_unique(tmp_path: Path) -> None:
    document = yaml.safe_load(EXAMPLE.read_text())
    document["pipelines"].append(document["pipelines"][0])
    path = tmp_path / "pipelines.yaml"
    path.write_text(yaml.safe_dump(document))
    with pytest.raises(ConfigError, match=r"pipelines\[1\]\.name: 'office-desktop' is used twice"):
        load_config(path)


def test_published_schema_matches_the_model() -> None:
    published = json.loads((PROJECT_ROOT / "stacks" / "pipelines.schema.json").read_text())
    assert published == json_schema(), "regenerate stacks/pipelines.schema.json (see the README)"


def test_every_accepted_retention_maps_to_a_log_retention() -> None:
    from stacks.config import LOG_RETENTION_DAYS

    assert set(LOG_RETENTION_DAYS) == set(LOG_RETENTION)


def test_the_readme_sizes_a_concurrency_reservation_for_every_task_function() -> None:
    from functions.workflows import LAMBDA_TASKS

    readme = (PROJECT_ROOT / "README.md").read_text()
    count = len(LAMBDA_TASKS)
    assert f"each of the {count} task functions" in readme
    assert f"at least {count} x N + 100 ({count * 5 + 100} for N = 5)" in readme
