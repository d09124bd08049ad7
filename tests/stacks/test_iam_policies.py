"""Every IAM policy of every template of the synth matrix, judged on AWS's service authorization
data: no unknown action, no unknown condition key, no grant whose resources its actions never
apply to (tests/stacks/iam_lint.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.stacks import iam_lint
from tests.stacks.conftest import Synth, matrix_params
from tests.stacks.iam_lint import Finding, lint_template

# Findings being fixed elsewhere; each stays listed only while the example still has it.


@pytest.mark.parametrize("name", matrix_params())
def test_every_policy_names_real_actions_condition_keys_and_resource_formats(
    synths: Callable[[str], Synth], name: str
) -> None:
    report = lint_template(synths(name).raw)
    assert report.statements >= 50, "the policies of the stack were not found"
    assert report.unresolved == [], "resources the linter could not resolve go unchecked"
    assert report.findings == []


def _lint(*statements: dict[str, Any], resources: dict[str, Any] | None = None) -> list[Finding]:
    template = {
        "Resources": {
            **(resources or {}),
            "Policy": {
                "Type": "AWS::IAM::Policy",
                "Properties": {"PolicyDocument": {"Version": "2012-10-17", "Statement": list(statements)}},
            },
        }
    }
    return lint_template(template).findings


def _allow(action: str, resource: Any, condition: dict[str, Any] | None = None) -> dict[str, Any]:
    statement = {"Effect": "Allow", "Action": action, "Resource": resource}
    return {**statement, "Condition": condition} if condition else statement


@pytest.mark.parametrize(
    "action",
    ["appstream:CreateExportImageTask", "appstream:CreateImportedImage", "s3:GetObject*", "states:Start*"],
)
def test_a_real_action_passes(action: str) -> None:
    assert _lint(_allow(action, "*")) == []


@pytest.mark.parametrize("action", ["appstream:CreateImageBuilders", "appstrem:DeleteImage", "s3:Fetch*"])
def test_an_unknown_action_is_reported(action: str) -> None:
    assert _lint(_allow(action, "*")) == [Finding("unknown action", action, "", "Policy")]


def test_an_appstream_action_the_data_lacks_is_checked_against_botocore(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    appstream = dict(iam_lint.iam_definition["appstream"])
    appstream["privileges"] = {
        key: value for key, value in appstream["privileges"].items() if key != "CreateImportedImage"
    }
    monkeypatch.setitem(iam_lint.iam_definition, "appstream", appstream)
    assert _lint(_allow("appstream:CreateImportedImage", "*")) == []
    assert (
        _lint(_allow("appstream:CreateImportedImage", "arn:aws:appstream:us-east-1:123456789012:image/x"))
        == []
    )
    assert _lint(_allow("appstream:CreateImportedImages", "*"))[0].kind == "unknown action"


def test_condition_keys_must_be_global_or_of_the_statements_services() -> None:
    known = {
        "StringEquals": {"aws:ResourceTag/team": "euc", "iam:PassedToService": "appstream.amazonaws.com"}
    }
    assert _lint(_allow("iam:PassRole", "arn:aws:iam::123456789012:role/x", known)) == []
    unknown = {"StringEquals": {"appstream:ResourceTag/team": "euc"}}
    assert _lint(
        _allow("appstream:DeleteImage", "arn:aws:appstream:us-east-1:123456789012:image/x", unknown)
    ) == [Finding("unknown condition key", "appstream:ResourceTag/team", "", "Policy")]


@pytest.mark.parametrize(
    ("action", "resource", "applies"),
    [
        ("ec2:DeleteSnapshot", "arn:aws:ec2:us-east-1:123456789012:snapshot/*", False),  # no account in it
        ("ec2:DeleteSnapshot", "arn:aws:ec2:us-east-1::snapshot/*", True),
        ("ec2:DeleteSnapshot", "arn:aws:ec2:*:*:snapshot/*", True),
        ("s3:GetObject", "arn:aws:s3:::jobs-bucket", False),  # a bucket, not its objects
        ("s3:GetObject", "arn:aws:s3:::jobs-bucket/jobs/*", True),
        ("logs:CreateLogStream", "arn:aws:logs:us-east-1:123456789012:log-group:g:*", True),
        ("xray:PutTraceSegments", "arn:aws:xray:us-east-1:123456789012:group/x", False),  # only "*"
        (
            "appstream:CreateImageBuilder",
            "arn:aws:appstream:us-east-1::image/AppStream-WinServer2022-*",
            True,
        ),
    ],
)
def test_a_resource_its_action_never_applies_to_is_reported(
    action: str, resource: str, applies: bool
) -> None:
    expected = [] if applies else [Finding("resource mismatch", action, resource, "Policy")]
    assert _lint(_allow(action, resource)) == expected


def test_intrinsics_resolve_to_arns_of_their_resources() -> None:
    resources = {
        "Table": {"Type": "AWS::DynamoDB::Table", "Properties": {}},
        "Machine": {"Type": "AWS::StepFunctions::StateMachine", "Properties": {"StateMachineName": "m"}},
    }
    snapshot = {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":ec2:", {"Ref": "AWS::Region"}, ":",
                                  {"Ref": "AWS::AccountId"}, ":snapshot/*"]]}  # fmt: skip
    statements = [
        _allow("dynamodb:GetItem", {"Fn::GetAtt": ["Table", "Arn"]}),
        _allow("states:StartExecution", {"Ref": "Machine"}),
        _allow("states:DescribeExecution", {"Fn::Sub": "arn:${AWS::Partition}:states:${AWS::Region}:"
                                                       "${AWS::AccountId}:execution:${Machine.Name}:*"}),
        _allow("ec2:DeleteSnapshot", snapshot),
    ]  # fmt: skip
    assert _lint(*statements, resources=resources) == [
        Finding(
            "resource mismatch",
            "ec2:DeleteSnapshot",
            "arn:aws:ec2:us-east-1:123456789012:snapshot/*",
            "Policy",
        )
    ]


def test_a_resource_that_cannot_be_resolved_is_counted() -> None:
    template = {"Resources": {"Policy": {"Type": "AWS::IAM::Policy", "Properties": {"PolicyDocument": {
        "Statement": [_allow("s3:GetObject", {"Fn::ImportValue": "elsewhere"})]}}}}}  # fmt: skip
    assert lint_template(template).unresolved == ["Policy: {'Fn::ImportValue': 'elsewhere'}"]
