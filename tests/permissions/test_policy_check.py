"""The checker refuses what the deployed role would refuse, conditions included."""

from __future__ import annotations

from typing import Any

import pytest

from image_factory.local_engine import resources
from tests.permissions.calls import requests
from tests.permissions.policy_check import RolePolicy, UnsupportedPolicy
from tests.permissions.template_policies import Resolver

RUNS_TABLE_ARN = f"arn:aws:dynamodb:us-east-1:123456789012:table/{resources.RUNS_TABLE}"
BUILDER_ROLE = "arn:aws:iam::123456789012:role/image-factory-image-builder"


def _policy(*statements: dict[str, Any]) -> RolePolicy:
    return RolePolicy.from_documents("Role", [{"Version": "2012-10-17", "Statement": list(statements)}])


def _allowed(policy: RolePolicy, service: str, operation: str, params: dict[str, Any]) -> bool:
    return all(policy.allowing(r.action, r.resource, r.context) for r in requests(service, operation, params))


def test_a_record_write_is_allowed_by_the_deployed_role_and_refused_without_its_grant(
    deployed_policies: dict[str, RolePolicy],
) -> None:
    policy = deployed_policies["functions.workflows.image_pipeline.tasks.record_run"]
    params = {"TableName": resources.RUNS_TABLE, "Item": {}}

    assert _allowed(policy, "dynamodb", "PutItem", params)
    assert not _allowed(policy.without("dynamodb:PutItem"), "dynamodb", "PutItem", params)
    # A transaction is authorized item by item, under each item's own action.
    transaction = {"TransactItems": [{"Put": params}, {"Update": {"TableName": resources.RUNS_TABLE}}]}
    assert _allowed(policy, "dynamodb", "TransactWriteItems", transaction)
    assert not _allowed(policy.without("dynamodb:UpdateItem"), "dynamodb", "TransactWriteItems", transaction)


def test_a_builder_starts_only_from_the_shared_images_of_the_configured_accounts(
    deployed_policies: dict[str, RolePolicy],
) -> None:
    policy = deployed_policies["functions.workflows.image_pipeline.tasks.create_builder"]

    def builder(account: str) -> dict[str, Any]:
        arn = f"arn:aws:appstream:us-east-1:{account}:image/golden"
        return {"Name": "b", "ImageArn": arn, "InstanceType": "stream.standard.large"}

    assert _allowed(policy, "appstream", "CreateImageBuilder", builder("111122223333"))  # the example's
    assert _allowed(policy, "appstream", "CreateImageBuilder", builder("123456789012"))  # its own
    assert not _allowed(policy, "appstream", "CreateImageBuilder", builder("444455556666"))


def test_a_role_is_passed_only_to_the_service_and_only_when_listed() -> None:
    policy = _policy(
        {
            "Effect": "Allow",
            "Action": "iam:PassRole",
            "Resource": BUILDER_ROLE,
            "Condition": {"StringEquals": {"iam:PassedToService": "appstream.amazonaws.com"}},
        },
        {"Effect": "Allow", "Action": "appstream:CreateImageBuilder", "Resource": "*"},
    )
    assert _allowed(policy, "appstream", "CreateImageBuilder", {"Name": "b", "IamRoleArn": BUILDER_ROLE})
    other_role = BUILDER_ROLE.replace("image-factory-image-builder", "admin")
    assert not _allowed(policy, "appstream", "CreateImageBuilder", {"Name": "b", "IamRoleArn": other_role})
    # The same role handed to another service: the StringEquals condition fails.
    passed = requests("ec2", "DescribeImages", {"IamRoleArn": BUILDER_ROLE})[0]
    assert not policy.allowing(passed.action, passed.resource, passed.context)


def test_null_and_string_like_conditions_read_the_request() -> None:
    policy = _policy(
        {
            "Effect": "Allow",
            "Action": "s3:ListBucket",
            "Resource": "arn:aws:s3:::jobs-bucket",
            "Condition": {"StringLike": {"s3:prefix": ["jobs/*"]}},
        },
        {
            "Effect": "Allow",
            "Action": "sns:Publish",
            "Resource": "*",
            "Condition": {"Null": {"aws:RequestTag/team": "false"}},
        },
    )
    assert _allowed(policy, "s3", "ListObjectsV2", {"Bucket": "jobs-bucket", "Prefix": "jobs/b-1/"})
    assert not _allowed(policy, "s3", "ListObjectsV2", {"Bucket": "jobs-bucket", "Prefix": "other/"})
    assert not _allowed(policy, "s3", "ListObjectsV2", {"Bucket": "jobs-bucket"})  # a missing key fails
    assert _allowed(policy, "sns", "Publish", {"TopicArn": "t", "Tags": {"team": "euc"}})
    assert not _allowed(policy, "sns", "Publish", {"TopicArn": "t"})


def test_an_operator_the_checker_does_not_evaluate_fails_instead_of_passing() -> None:
    policy = _policy(
        {
            "Effect": "Allow",
            "Action": "sns:Publish",
            "Resource": "*",
            "Condition": {"DateLessThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}},
        }
    )
    with pytest.raises(UnsupportedPolicy, match="DateLessThan"):
        _allowed(policy, "sns", "Publish", {"TopicArn": "t"})


def test_a_call_with_no_iam_mapping_fails_instead_of_passing() -> None:
    with pytest.raises(NotImplementedError, match="appstream:CreateFleet"):
        requests("appstream", "CreateFleet", {"Name": "f"})


def test_a_tag_condition_reads_the_builders_tags_in_appstream(appstream_client: Any) -> None:
    """A destructive action that requires the pipeline tag is refused on an untagged builder."""
    for name, tags in (("tagged", {"image-factory:pipeline": "office"}), ("untagged", {})):
        appstream_client.create_image_builder(
            Name=name,
            ImageName="AppStream-WinServer2022-09-08-2025",
            InstanceType="stream.standard.large",
            **({"Tags": tags} if tags else {}),
        )
    policy = _policy(
        {
            "Effect": "Allow",
            "Action": "appstream:DeleteImageBuilder",
            "Resource": "arn:aws:appstream:us-east-1:123456789012:image-builder/*",
            "Condition": {"StringLike": {"aws:ResourceTag/image-factory:pipeline": "*"}},
        }
    )
    assert _allowed(policy, "appstream", "DeleteImageBuilder", {"Name": "tagged"})
    assert not _allowed(policy, "appstream", "DeleteImageBuilder", {"Name": "untagged"})
    # The same grant without its condition allows both: the tags, not the ARN, made the difference.
    assert _allowed(policy.unconditional(), "appstream", "DeleteImageBuilder", {"Name": "untagged"})


def test_the_template_resolver_reads_select_and_split_and_refuses_what_it_cannot_resolve() -> None:
    machine = "arn:aws:states:us-east-1:123456789012:stateMachine:image-factory-local-export-backup"
    resolver = Resolver({"Resources": {}})
    resolver.local["Machine"] = "image-factory-local-export-backup"
    resolver.resources["Machine"] = {"Type": "AWS::StepFunctions::StateMachine"}
    executions = {
        "Fn::Join": [
            "",
            [
                "arn:aws:states:us-east-1:123456789012:execution:",
                {"Fn::Select": [6, {"Fn::Split": [":", {"Ref": "Machine"}]}]},
                ":*",
            ],
        ]
    }
    assert resolver.resolve({"Ref": "Machine"}) == machine
    assert resolver.resolve(executions) == (
        "arn:aws:states:us-east-1:123456789012:execution:image-factory-local-export-backup:*"
    )
    with pytest.raises(NotImplementedError, match="Fn::ImportValue"):
        resolver.resolve({"Fn::ImportValue": "Elsewhere"})
