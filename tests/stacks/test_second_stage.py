"""A second stage with the other settings: it passes the same checks and collides with nothing.

It also deploys the run API, whatever the state of its handler, so the API's construct
is checked before the handler exists.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from cfnlint.api import ManualArgs, lint

from stacks.api import API_HANDLER
from stacks.application import create_app
from tests.stacks.conftest import EXAMPLE_CONTEXT, Synth
from tests.stacks.test_checks import CFN_LINT_IGNORED
from tests.stacks.test_config import EXAMPLE

STAGE = "second"


@pytest.fixture(scope="module")
def second(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    document = yaml.safe_load(EXAMPLE.read_text())
    document["settings"].update(
        retain_data=False, notification_emails=["euc-team@example.com"], task_concurrency=None
    )
    document["pipelines"].append({"name": "kiosk", "request": document["pipelines"][0]["request"]})
    document["pipelines"][1]["request"] = {**document["pipelines"][1]["request"], "pipeline": "kiosk"}
    folder = tmp_path_factory.mktemp("second")
    config = folder / "pipelines.yaml"
    config.write_text(yaml.safe_dump(document))
    outdir = folder / "cdk.out"
    app = create_app(
        context={**EXAMPLE_CONTEXT, "stage": STAGE, "config": str(config)},
        outdir=str(outdir),
        include_api=True,
    )
    app.synth()
    return outdir, json.loads((outdir / f"ImageFactory-{STAGE}.template.json").read_text())


def test_second_stage_passes_the_checks(second: tuple[Path, dict[str, Any]]) -> None:
    outdir, template = second
    assert json.loads((outdir / "validation-report.json").read_text())["pluginReports"] == []
    assert [
        str(m) for m in lint(json.dumps(template), config=ManualArgs(ignore_checks=CFN_LINT_IGNORED))
    ] == []


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
    paths = {
        key: r["Properties"]["PathPart"]
        for key, r in resources.items()
        if r["Type"] == "AWS::ApiGateway::Resource"
    }
    routes = set()
    for method in (r["Properties"] for r in resources.values() if r["Type"] == "AWS::ApiGateway::Method"):
        assert method["AuthorizationType"] == "AWS_IAM"
        assert "RequestValidatorId" in method
        routes.add((method["HttpMethod"], paths[method["ResourceId"]["Ref"]]))
    assert routes == {
        ("POST", "runs"),  # POST /runs and POST /workflows/{workflow}/runs
        ("GET", "runs"),
        ("GET", "{id}"),
        ("POST", "cancel"),
        ("GET", "workflows"),
    }
    handlers = [
        r["Properties"]["Handler"] for r in resources.values() if r["Type"] == "AWS::Lambda::Function"
    ]
    assert API_HANDLER in handlers
    (stage,) = [r["Properties"] for r in resources.values() if r["Type"] == "AWS::ApiGateway::Stage"]
    assert stage["TracingEnabled"] is True
    assert "AccessLogSetting" in stage
