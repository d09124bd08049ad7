"""The policy statements of a synthesized template, with their resource ARNs made concrete.

A template spells ARNs with `Fn::Join`, `Ref` and `Fn::GetAtt`; comparing them with AWS's
ARN formats needs the strings CloudFormation would produce. Pseudo parameters resolve to
the values below, and each resource a policy names resolves to an ARN of its type's format.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from typing import Any

PARTITION, REGION = "aws", "us-east-1"
ACCOUNT = "123456789012"  # the account of the example configuration's role ARNs

_PSEUDO = {
    "AWS::Partition": PARTITION,
    "AWS::Region": REGION,
    "AWS::AccountId": ACCOUNT,
    "AWS::URLSuffix": "amazonaws.com",
}

_MACHINE = "arn:{p}:states:{r}:{a}:stateMachine:{n}"
# resource type -> (what Ref returns, what GetAtt Arn returns), from the logical id as the resource's name
_ARNS: dict[str, tuple[str, str]] = {
    "AWS::DynamoDB::Table": ("{n}", "arn:{p}:dynamodb:{r}:{a}:table/{n}"),
    "AWS::Events::EventBus": ("{n}", "arn:{p}:events:{r}:{a}:event-bus/{n}"),
    "AWS::Events::Rule": ("{n}", "arn:{p}:events:{r}:{a}:rule/{n}"),
    "AWS::IAM::Role": ("{n}", "arn:{p}:iam::{a}:role/{n}"),
    "AWS::KMS::Key": ("{n}", "arn:{p}:kms:{r}:{a}:key/{n}"),
    "AWS::Lambda::Function": ("{n}", "arn:{p}:lambda:{r}:{a}:function:{n}"),
    "AWS::Logs::LogGroup": ("{n}", "arn:{p}:logs:{r}:{a}:log-group:{n}:*"),
    "AWS::S3::Bucket": ("{n}", "arn:{p}:s3:::{n}"),
    "AWS::SNS::Topic": ("arn:{p}:sns:{r}:{a}:{n}", "arn:{p}:sns:{r}:{a}:{n}"),
    "AWS::SQS::Queue": ("https://sqs.{r}.amazonaws.com/{a}/{n}", "arn:{p}:sqs:{r}:{a}:{n}"),
    "AWS::StepFunctions::StateMachine": (_MACHINE, _MACHINE),
}  # fmt: skip

# resource type -> where its policy documents are
_DOCUMENTS = {
    "AWS::IAM::Policy": "PolicyDocument",
    "AWS::IAM::ManagedPolicy": "PolicyDocument",
    "AWS::S3::BucketPolicy": "PolicyDocument",
    "AWS::SNS::TopicPolicy": "PolicyDocument",
    "AWS::SQS::QueuePolicy": "PolicyDocument",
    "AWS::KMS::Key": "KeyPolicy",
}


@dataclass(frozen=True)
class Statement:
    policy: str  # logical id of the resource holding it
    actions: tuple[str, ...]
    resources: tuple[str, ...]  # concrete ARNs, or "*"
    conditions: dict[str, Any]
    effect: str


def published_actions() -> dict[str, Any]:
    """AWS's service authorization data, as cfn-lint ships it: service -> Actions, Resources."""
    text = resources.files("cfnlint").joinpath("data/AdditionalSpecs/Policies.json").read_text()
    data: dict[str, Any] = json.loads(text)
    return data


def resolve(value: Any, template: dict[str, Any]) -> Any:
    """The value CloudFormation would produce (a string, or a list for Fn::Split)."""
    if isinstance(value, str | int):
        return str(value)
    if isinstance(value, list):
        return [resolve(item, template) for item in value]
    ((function, argument),) = value.items()
    if function == "Ref":
        return _PSEUDO[argument] if argument in _PSEUDO else _attribute(argument, "Ref", template)
    if function == "Fn::GetAtt":
        return _attribute(argument[0], argument[1], template)
    if function == "Fn::Join":
        return str(argument[0]).join(resolve(part, template) for part in argument[1])
    if function == "Fn::Select":
        return resolve(argument[1], template)[int(argument[0])]
    if function == "Fn::Split":
        return resolve(argument[1], template).split(argument[0])
    if function == "Fn::Sub" and isinstance(argument, str):
        for name, pseudo in _PSEUDO.items():
            argument = argument.replace("${" + name + "}", pseudo)
        assert "${" not in argument, f"teach the resolver this Fn::Sub: {argument}"
        return argument
    raise AssertionError(f"teach the resolver {function}")


def _attribute(logical_id: str, attribute: str, template: dict[str, Any]) -> str:
    resource_type = template["Resources"][logical_id]["Type"]
    assert resource_type in _ARNS, f"teach the resolver the ARN of a {resource_type}"
    if attribute == "Name":
        return logical_id
    pattern = _ARNS[resource_type][0 if attribute == "Ref" else 1]
    assert attribute in ("Ref", "Arn"), f"teach the resolver {resource_type}.{attribute}"
    return pattern.format(p=PARTITION, r=REGION, a=ACCOUNT, n=logical_id)


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def statements(template: dict[str, Any]) -> Iterator[Statement]:
    """Every statement of every identity and resource policy in the template."""
    for logical_id, resource in template["Resources"].items():
        properties = resource.get("Properties", {})
        key = _DOCUMENTS.get(resource["Type"])
        documents = [properties[key]] if key and key in properties else []
        if resource["Type"] == "AWS::IAM::Role":
            documents += [policy["PolicyDocument"] for policy in properties.get("Policies", [])]
        for document in documents:
            for statement in _as_list(document["Statement"]):
                assert "NotResource" not in statement and "NotAction" not in statement, logical_id
                yield Statement(
                    policy=logical_id,
                    actions=tuple(_as_list(statement["Action"])),
                    resources=tuple(resolve(item, template) for item in _as_list(statement["Resource"])),
                    conditions=statement.get("Condition", {}),
                    effect=statement["Effect"],
                )
