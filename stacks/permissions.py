"""What the task functions may do in AppStream, and to which resources.

Per the Service Authorization Reference, only some AppStream actions accept a resource
ARN; those are scoped to this account and region's images and image builders. The rest
(Describe*, the import and export-task operations) accept only "*". A test checks this
split against AWS's published action data shipped with cfn-lint.
"""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from constructs import Construct

from functions import names

APPSTREAM_PRINCIPAL = "appstream.amazonaws.com"

# AWS's own base images (a request may start from one by name) have no account in their ARN.
AWS_OWNED_IMAGE = "aws-owned-image"

# action -> the AppStream resource types its Resource element names
APPSTREAM_SCOPED_ACTIONS: dict[str, tuple[str, ...]] = {
    "appstream:CreateImageBuilder": ("image", AWS_OWNED_IMAGE, "image-builder"),
    "appstream:StartImageBuilder": ("image-builder",),
    "appstream:StopImageBuilder": ("image-builder",),
    "appstream:DeleteImageBuilder": ("image-builder",),
    "appstream:DeleteImage": ("image",),
    "appstream:CreateUpdatedImage": ("image",),
    "appstream:TagResource": ("image", "image-builder"),
    # Fleet rollout: point a fleet at an image of this account, stopping and starting it around that.
    "appstream:UpdateFleet": ("fleet", "image"),
    "appstream:StopFleet": ("fleet",),
    "appstream:StartFleet": ("fleet",),
}

# Actions that support no resource-level permissions.
APPSTREAM_UNSCOPED_ACTIONS: tuple[str, ...] = (
    "appstream:CreateImportedImage",
    "appstream:DescribeImages",
    "appstream:DescribeImageBuilders",
    "appstream:CreateExportImageTask",
    "appstream:GetExportImageTask",
    "appstream:ListExportImageTasks",
    "appstream:ListTagsForResource",
    "appstream:DescribeFleets",
)


def appstream_arn(scope: Construct, resource_type: str) -> str:
    if resource_type == AWS_OWNED_IMAGE:
        return Stack.of(scope).format_arn(
            service="appstream", account="", resource="image", resource_name="*"
        )
    return Stack.of(scope).format_arn(service="appstream", resource=resource_type, resource_name="*")


def appstream_statements(scope: Construct) -> list[iam.PolicyStatement]:
    by_resources: dict[tuple[str, ...], list[str]] = {}
    for action, resource_types in APPSTREAM_SCOPED_ACTIONS.items():
        by_resources.setdefault(resource_types, []).append(action)
    statements = [
        iam.PolicyStatement(
            actions=actions, resources=[appstream_arn(scope, kind) for kind in resource_types]
        )
        for resource_types, actions in by_resources.items()
    ]
    statements.append(iam.PolicyStatement(actions=list(APPSTREAM_UNSCOPED_ACTIONS), resources=["*"]))
    return statements


def pass_role_statement(role_arns: tuple[str, ...]) -> iam.PolicyStatement:
    """Pass exactly the configured roles, and only to AppStream."""
    return iam.PolicyStatement(
        actions=["iam:PassRole"],
        resources=list(role_arns),
        conditions={"StringEquals": {"iam:PassedToService": APPSTREAM_PRINCIPAL}},
    )


def exported_ami_arn(scope: Construct) -> str:
    return Stack.of(scope).format_arn(service="ec2", account="", resource="image", resource_name="*")


def snapshot_arn(scope: Construct) -> str:
    # Snapshot ARNs carry no account: with one, the grant matches no snapshot at all.
    return Stack.of(scope).format_arn(service="ec2", account="", resource="snapshot", resource_name="*")


def exported_ami_statements(scope: Construct) -> list[iam.PolicyStatement]:
    """Retention of exported AMIs: list, deregister only AMIs with a pipeline tag, delete their snapshots."""
    return [
        iam.PolicyStatement(actions=["ec2:DescribeImages"], resources=["*"]),
        iam.PolicyStatement(
            actions=["ec2:DeregisterImage"],
            resources=[exported_ami_arn(scope)],
            conditions={"Null": {f"aws:ResourceTag/{names.TAG_PIPELINE}": "false"}},
        ),
        iam.PolicyStatement(actions=["ec2:DeleteSnapshot"], resources=[snapshot_arn(scope)]),
    ]
