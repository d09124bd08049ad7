"""Acknowledging an AWS Solutions (cdk-nag) finding, always with the reason it does not apply."""

from __future__ import annotations

from aws_cdk import Acknowledgment, Validations
from constructs import IConstruct

X_RAY_AND_LOG_DELIVERY = (
    "X-Ray tracing and CloudWatch Logs log delivery support no resource-level permissions; "
    "CDK adds exactly those actions for tracing and logging."
)


def acknowledge(construct: IConstruct, rule: str, reason: str) -> None:
    """`rule` is a rule id, or `RuleId[Finding]` for one finding of a rule that reports several."""
    Validations.of(construct).acknowledge(Acknowledgment(id=rule, reason=reason))
