"""Requests and scenarios read JSON types as the published schema says, and AppStream's limits hold."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema

from appstream_emulator.scenario import Scenario, ScenarioError, scenario_json_schema
from functions.workflows.image_pipeline.request import parse_request, request_json_schema
from functions.workflows.managed_update.request import parse_request as parse_update

EXAMPLES = Path(__file__).resolve().parents[2] / "image_factory" / "examples" / "requests"


def reference(**builder: Any) -> dict[str, Any]:
    document = json.loads((EXAMPLES / "reference.json").read_text())
    document["builder"].update(builder)
    return copy.deepcopy(document)


def rejected_fields(result: Any) -> set[str]:
    assert isinstance(result, list), "expected a rejection"
    return {problem.field for problem in result}


def test_a_number_written_as_a_string_or_a_boolean_is_refused() -> None:
    assert rejected_fields(parse_request(reference(root_volume_gb="200"))) == {"builder.root_volume_gb"}
    assert rejected_fields(parse_request(reference(root_volume_gb=True))) == {"builder.root_volume_gb"}
    assert rejected_fields(parse_request(reference(enable_default_internet_access=1))) == {
        "builder.enable_default_internet_access"
    }


def test_an_integral_float_is_an_integer_as_in_json_schema() -> None:
    assert not isinstance(parse_request(reference(root_volume_gb=200.0)), list)
    assert rejected_fields(parse_request(reference(root_volume_gb=200.5))) == {"builder.root_volume_gb"}


def test_optional_integers_keep_their_bounds_in_the_schema() -> None:
    timeout = request_json_schema()["$defs"]["SnapshotSettings"]["properties"]["timeout_minutes"]
    assert timeout["anyOf"][0] == {"type": "integer", "minimum": 5, "maximum": 10080}


def test_tags_refuse_tabs_and_newlines_as_appstream_does() -> None:
    for key, value in [("te\tam", "v"), ("team", "a\nb")]:
        document = reference()
        document["snapshot"]["tags"] = {key: value}
        assert isinstance(parse_request(document), list)


def test_the_schema_refuses_reserved_tag_keys_in_any_case() -> None:
    for key in ("aws:team", "AWS:team", "Image-Factory:team"):
        document = reference()
        document["snapshot"]["tags"] = {key: "v"}
        assert not jsonschema.Draft202012Validator(request_json_schema()).is_valid(document), key
        assert isinstance(parse_request(document), list), key


def test_a_managed_update_name_must_fit_with_the_longest_run_id() -> None:
    request = {"name": "n" * 40, "image_name": "office", "new_image_name": "{pipeline}-{pipeline}-{run}"}
    assert rejected_fields(parse_update(request)) == {"new_image_name"}
    assert not isinstance(parse_update({**request, "new_image_name": "{pipeline}-{date}-{run}"}), list)


def test_an_export_after_an_update_checks_its_ami_name() -> None:
    export = {"role_arn": "arn:aws:iam::123456789012:role/export", "ami_name": "{unknown}-{run}"}
    request = {"name": "job", "image_name": "office", "then_export": export}
    assert rejected_fields(parse_update(request)) == {"then_export.ami_name"}


def test_an_empty_scenario_means_the_defaults_in_the_schema_too() -> None:
    assert Scenario.from_data(None) == Scenario()
    assert jsonschema.Draft202012Validator(scenario_json_schema()).is_valid(None)


def test_a_scenario_number_written_as_a_string_is_refused() -> None:
    try:
        Scenario.from_data({"jitter": "0.1"})
    except ScenarioError as error:
        assert "jitter" in str(error)
    else:
        raise AssertionError("expected a rejection")
