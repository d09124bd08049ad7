"""Scenario files: loading from JSON and YAML, errors that name the file and the field, the schema."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from appstream_emulator import Scenario, ScenarioError, scenario_json_schema
from appstream_emulator.scenario import OperationFault, ResourceFault

FULL_YAML = """
durations:
  import: 60
  validation: 30
  export: 90
jitter: 0.1
seed: 42
quotas:
  image_builders: 2
rate_limits:
  DescribeImageBuilders: {per_second: 5, burst: 10}
faults:
  - operation: CreateImageBuilder
    error: ConcurrentModificationException
    times: 1
  - operation: DescribeImages
    error: ThrottlingException
    times: null
    after: 3
  - resource: export_task
    outcome: TIMED_OUT
    reason: copy took too long
    name: "nightly-*"
amis:
  - id: ami-0123456789abcdef0
  - id: ami-00000000000000bad
    compatible: false
    reason: BIOS boot mode
invalid_roles: ["arn:aws:iam::123456789012:role/New"]
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_default_durations_are_the_figures_the_ledger_lists_as_assumptions() -> None:
    scenario = Scenario()
    durations = scenario.durations
    assert (durations.import_, durations.validation, durations.builder_start, durations.agent_job) == (
        2700,
        900,
        720,
        600,
    )
    assert (durations.snapshot, durations.image_publish, durations.export, durations.builder_stop) == (
        2400,
        600,
        2100,
        300,
    )
    assert scenario.quotas.image_builders == 10 and scenario.quotas.concurrent_image_updates == 5
    assert scenario.jitter == 0 and scenario.faults == [] and scenario.amis is None


def test_load_yaml(tmp_path: Path) -> None:
    scenario = Scenario.load(write(tmp_path, "scenario.yaml", FULL_YAML))
    assert scenario.durations.import_ == 60 and scenario.durations.snapshot == 2400
    assert scenario.rate_limits["DescribeImageBuilders"].burst == 10
    first, second, third = scenario.faults
    assert isinstance(first, OperationFault) and first.times == 1
    assert isinstance(second, OperationFault) and second.times is None and second.after == 3
    assert isinstance(third, ResourceFault) and third.outcome == "TIMED_OUT"
    assert scenario.amis is not None and not scenario.amis[1].compatible


def test_load_json_is_the_same(tmp_path: Path) -> None:
    import yaml

    data = yaml.safe_load(FULL_YAML)
    from_json = Scenario.load(write(tmp_path, "scenario.json", json.dumps(data)))
    from_yaml = Scenario.load(write(tmp_path, "scenario.yml", FULL_YAML))
    assert from_json == from_yaml


@pytest.mark.parametrize(
    ("text", "field", "hint"),
    [
        ("durations: {import: -5}", "durations.import", "greater than or equal to 0"),
        ("durations: {imprt: 5}", "durations.imprt", "Extra inputs"),
        ("jitter: 1.5", "jitter", "less than or equal to 1"),
        ("colour: blue", "colour", "Extra inputs"),
        ("quotas: {image_builders: many}", "quotas.image_builders", "integer"),
        (
            "rate_limits: {DescribeImages: {per_second: 0, burst: 1}}",
            "rate_limits.DescribeImages.per_second",
            "greater",
        ),
        ("rate_limits: {Describe: {per_second: 1, burst: 1}}", "rate_limits", "Describe"),
        ("faults: [{operation: CreateImageBuilder, error: NoSuchError}]", "faults.0.error", "NoSuchError"),
        (
            "faults: [{operation: GetExportImageTask, error: LimitExceededException}]",
            "faults.0.error",
            "GetExportImageTask",
        ),
        ("faults: [{operation: MakeCoffee, error: ThrottlingException}]", "faults.0.operation", "MakeCoffee"),
        (
            "faults: [{operation: DescribeImages, error: ThrottlingException, times: 0}]",
            "faults.0.times",
            "greater",
        ),
        ("faults: [{resource: image, outcome: TIMED_OUT}]", "faults.0.outcome", "export_task"),
        ("faults: [{resource: stack}]", "faults.0.resource", "imported_image"),
        ("faults: [{resource: image, colour: red}]", "faults.0.colour", "Extra inputs"),
        ("amis: [{id: ami-1}]", "amis.0.id", "pattern"),
    ],
)
def test_errors_name_the_file_and_the_field(tmp_path: Path, text: str, field: str, hint: str) -> None:
    path = write(tmp_path, "bad.yaml", text)
    with pytest.raises(ScenarioError) as raised:
        Scenario.load(path)
    message = str(raised.value)
    assert message.startswith(str(path)), message
    assert f"{field}:" in message, message
    assert hint in message, message


def test_json_errors_name_the_field_too(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.json", json.dumps({"quotas": {"images": -1}}))
    with pytest.raises(ScenarioError, match=r"bad\.json: invalid scenario: quotas\.images: "):
        Scenario.load(path)


def test_unreadable_and_malformed_files(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="cannot read"):
        Scenario.load(tmp_path / "missing.yaml")
    with pytest.raises(ScenarioError, match="not valid JSON"):
        Scenario.load(write(tmp_path, "broken.json", "{"))
    with pytest.raises(ScenarioError, match="not valid YAML"):
        Scenario.load(write(tmp_path, "broken.yaml", "durations: [unclosed"))


def test_empty_file_is_the_default_scenario(tmp_path: Path) -> None:
    assert Scenario.load(write(tmp_path, "empty.yaml", "")) == Scenario()


def test_published_schema() -> None:
    schema = scenario_json_schema()
    assert schema["additionalProperties"] is False
    durations = schema["$defs"]["Durations"]["properties"]
    assert "import" in durations and "import_" not in durations
    json.dumps(schema)  # publishable as is
