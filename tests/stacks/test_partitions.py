"""The app deploys to any partition: a GovCloud synth names no `aws` ARN and passes cfn-lint there.

The example configuration, moved to us-gov-west-1 (its role and pipeline ARNs in
aws-us-gov), is synthesized once for this module with that account and region.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from cfnlint.api import ManualArgs, lint

from functions import workflows
from stacks.application import create_app, stack_name
from stacks.bundling import PROJECT_ROOT
from tests.stacks.iam_lint import lint_template
from tests.stacks.judges import CFN_LINT_IGNORED

REGION = "us-gov-west-1"
STAGE = "gov"


@pytest.fixture(scope="module")
def gov_template(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("gov")
    example = (PROJECT_ROOT / "stacks" / "pipelines.example.yaml").read_text()
    config = folder / "pipelines.yaml"
    config.write_text(example.replace("arn:aws:", "arn:aws-us-gov:").replace("eu-west-1", REGION))
    assert "arn:aws:" not in config.read_text()  # so any left in the template is the stack's own
    with pytest.MonkeyPatch.context() as env:
        env.setenv("CDK_DEFAULT_ACCOUNT", "123456789012")
        env.setenv("CDK_DEFAULT_REGION", REGION)
        context = {
            "stage": STAGE,
            "config": str(config),
            "allow_placeholders": True,
            "aws:cdk:bundling-stacks": [],
        }
        create_app(context=context, outdir=str(folder / "cdk.out")).synth()
    template: dict[str, Any] = json.loads(
        (folder / "cdk.out" / f"{stack_name(STAGE)}.template.json").read_text()
    )
    return template


def _strings(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for key, value in node.items():
            yield key
            yield from _strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value)


def test_no_arn_in_the_template_names_the_aws_partition(gov_template: dict[str, Any]) -> None:
    literal = sorted({text for text in _strings(gov_template) if "arn:aws:" in text})
    assert literal == []


def test_state_machines_call_their_integrations_in_the_deployed_partition(
    gov_template: dict[str, Any],
) -> None:
    machines = [
        resource["Properties"]
        for resource in gov_template["Resources"].values()
        if resource["Type"] == "AWS::StepFunctions::StateMachine"
        and "DefinitionSubstitutions" in resource["Properties"]
    ]
    assert len(machines) >= 5  # the pipeline and the lifecycle workflows, from their ASL files
    for machine in machines:
        assert workflows.LAMBDA_INVOKE in machine["DefinitionString"]
        assert machine["DefinitionSubstitutions"]["LambdaInvoke"] == {
            "Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":states:::lambda:invoke"]]
        }


def test_cfn_lint_finds_nothing_in_the_govcloud_template(gov_template: dict[str, Any]) -> None:
    matches = lint(
        json.dumps(gov_template), config=ManualArgs(ignore_checks=CFN_LINT_IGNORED, regions=[REGION])
    )
    assert [str(match) for match in matches] == []


def test_the_iam_linter_finds_nothing_in_the_govcloud_template(gov_template: dict[str, Any]) -> None:
    report = lint_template(gov_template)
    assert report.statements >= 50 and report.unresolved == []
    assert report.findings == []
