"""A second stage with the other settings collides with nothing (the outside judges run on it
with the rest of the synth matrix, in test_checks.py and test_iam_policies.py)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from functions.core import names
from stacks.api import API_HANDLER
from tests.stacks.conftest import Synth

# The synth matrix's lean configuration is that stage (tests/stacks/configs/lean.yaml).
pytestmark = pytest.mark.xdist_group("synth-lean")


@pytest.fixture(scope="module")
def second(synths: Callable[[str], Synth]) -> tuple[Path, dict[str, Any]]:
    lean = synths("lean")
    return lean.outdir, lean.raw


def test_second_stage_throws_its_data_away_on_delete(second: tuple[Path, dict[str, Any]]) -> None:
    _, template = second
    resources = template["Resources"].values()
    (table,) = [r for r in resources if r["Type"] == "AWS::DynamoDB::Table"]
    assert table["DeletionPolicy"] == "Delete"
    assert table["Properties"]["DeletionProtectionEnabled"] is False
    assert sum(r["Type"] == "Custom::S3AutoDeleteObjects" for r in resources) == 2
    assert sum(r["Type"] == "AWS::SNS::Subscription" for r in resources) == 1
    functions = [r["Properties"] for r in resources if r["Type"] == "AWS::Lambda::Function"]
    assert not any("ReservedConcurrentExecutions" in f for f in functions)


def test_two_stages_share_no_name(synth: Synth, second: tuple[Path, dict[str, Any]]) -> None:
    def names(template: dict[str, Any]) -> set[str]:
        found = set()
        for resource in template["Resources"].values():
            for key in ("Name", "LogGroupName"):
                if key in resource.get("Properties", {}):
                    found.add(json.dumps(resource["Properties"][key]))
        return found

    first, other = names(synth.raw), names(second[1])
    assert first and other
    assert not first & other


def test_run_api_routes_are_iam_authorised(second: tuple[Path, dict[str, Any]]) -> None:
    _, template = second
    resources = template["Resources"]
    methods = [r["Properties"] for r in resources.values() if r["Type"] == "AWS::ApiGateway::Method"]
    assert methods and {method["AuthorizationType"] for method in methods} == {"AWS_IAM"}
    handlers = [
        r["Properties"]["Handler"] for r in resources.values() if r["Type"] == "AWS::Lambda::Function"
    ]
    assert API_HANDLER in handlers
    (stage,) = [r["Properties"] for r in resources.values() if r["Type"] == "AWS::ApiGateway::Stage"]
    assert stage["TracingEnabled"] is True
    assert "AccessLogSetting" in stage


def test_every_function_knows_its_own_stage(synth: Synth, second: tuple[Path, dict[str, Any]]) -> None:
    # Runs tag what they create with it, and retention deletes only what carries it.
    def stages(template: dict[str, Any]) -> set[object]:
        # The app's functions; CDK's own providers (bucket auto-delete) create nothing of a run's.
        functions = [
            r
            for r in template["Resources"].values()
            if r["Type"] == "AWS::Lambda::Function" and r["Properties"]["Handler"].startswith("functions.")
        ]
        assert len(functions) > 30
        return {f["Properties"]["Environment"]["Variables"].get(names.ENV_STAGE) for f in functions}

    assert stages(synth.raw) == {"test"}
    assert stages(second[1]) == {"lean"}
