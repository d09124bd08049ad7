"""Acknowledging an AWS Solutions (cdk-nag) finding, always with the reason it does not apply."""

from __future__ import annotations

import json
from typing import Any

from aws_cdk import Acknowledgment, Stack, Validations
from constructs import IConstruct

X_RAY_AND_LOG_DELIVERY = (
    "X-Ray tracing and CloudWatch Logs log delivery support no resource-level permissions; "
    "CDK adds exactly those actions for tracing and logging."
)


def acknowledge(construct: IConstruct, rule: str, reason: str) -> None:
    """`rule` is a rule id, or `RuleId[Finding]` for one finding of a rule that reports several."""
    Validations.of(construct).acknowledge(Acknowledgment(id=rule, reason=reason))


def spelling(scope: IConstruct, value: str) -> str:
    """`value` (an ARN, tokens allowed) as a cdk-nag finding names it.

    Spelled from the value itself, not by hand: with a known account and region the stack
    writes them (and the partition) literally, without one as `<AWS::Region>` and the like.
    """
    return flatten(Stack.of(scope).resolve(value))


def flatten(node: Any) -> str:
    """cdk-nag's `flattenCfnReference`: joins joined, references as `<Id>` or `<Id.Attribute>`."""
    if isinstance(node, str):
        return node.replace("${", "<").replace("}", ">")
    if isinstance(node, dict) and "Fn::Join" in node:
        separator, parts = node["Fn::Join"]
        return str(separator).join(flatten(part) for part in parts)
    if isinstance(node, dict) and "Fn::GetAtt" in node:
        resource, attribute = node["Fn::GetAtt"]
        return f"<{flatten(resource)}.{flatten(attribute)}>"
    if isinstance(node, dict) and "Ref" in node:
        return f"<{flatten(node['Ref'])}>"
    return json.dumps(node, separators=(",", ":"))  # as JavaScript's JSON.stringify writes it
