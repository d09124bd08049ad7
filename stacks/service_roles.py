"""The three roles AppStream assumes for a run: the stack creates each one the configuration leaves out.

What each role must allow, from the API reference (seed 000_735370c9de763758.txt):
* import, `IamRoleArn` of CreateImportedImage (lines 65-69): "permissions to modify image
  attributes and describe images, with a trust relationship allowing appstream.amazonaws.com";
* export, `IamRoleArn` of CreateExportImageTask (lines 793-797): "permissions to copy images,
  describe images, and create tags", same trust;
* builder, `IamRoleArn` of CreateImageBuilder (lines 2333-2335): the builder's own credentials;
  the builder agent needs only its job documents, which `BuilderAgentPolicy` grants.

Trust: `appstream.amazonaws.com`, limited to this account with `aws:SourceAccount` as AppStream's
confused-deputy examples show (https://docs.aws.amazon.com/appstream2/latest/developerguide/
example-fleet-machine.html). Resource types per action are AWS's published data (a test checks
them against cfn-lint's copy): DescribeImages takes only "*", the others take image or snapshot
ARNs, which carry no account.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from aws_cdk import Aws, Stack, Token
from aws_cdk import aws_iam as iam
from constructs import Construct

from stacks.config import (
    ANY_REGION,
    ROLE_KINDS,
    ConfigError,
    DeploymentConfig,
    created_role_kind,
    created_role_name,
)
from stacks.config_placeholders import config_strings
from stacks.nag import acknowledge
from stacks.permissions import APPSTREAM_PRINCIPAL

POLICY_VERSION = "2012-10-17"


def trust_policy(account: str) -> dict[str, Any]:
    return {
        "Version": POLICY_VERSION,
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": APPSTREAM_PRINCIPAL},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"aws:SourceAccount": account}},
            }
        ],
    }


def _ec2_arn(partition: str, region: str, resource: str) -> str:
    return f"arn:{partition}:ec2:{region}::{resource}/*"


def permission_policies(partition: str, region: str) -> dict[str, dict[str, Any]]:
    """kind -> the permission policy of the role the stack creates (the builder's is BuilderAgentPolicy)."""
    describe = {"Sid": "DescribeImages", "Effect": "Allow", "Action": "ec2:DescribeImages", "Resource": "*"}
    image, snapshot = _ec2_arn(partition, region, "image"), _ec2_arn(partition, region, "snapshot")
    return {
        "import": {
            "Version": POLICY_VERSION,
            "Statement": [
                describe,
                {
                    "Sid": "ModifyImportedAmi",
                    "Effect": "Allow",
                    "Action": "ec2:ModifyImageAttribute",
                    "Resource": image,
                },
            ],
        },
        "export": {
            "Version": POLICY_VERSION,
            "Statement": [
                describe,
                {
                    # The copy is a new AMI with new snapshots; the task's tags go on both.
                    "Sid": "CopyAndTagExportedAmi",
                    "Effect": "Allow",
                    "Action": ["ec2:CopyImage", "ec2:CreateTags"],
                    "Resource": [image, snapshot],
                },
            ],
        },
    }


def other_stage_roles(config: DeploymentConfig, stage: str, region: str | None) -> Iterator[str]:
    """Stored requests naming the created role of another stage (or region): PassRole would refuse it."""
    here = {"stage": re.escape(stage), "region": re.escape(region) if region else ANY_REGION}
    for field, value in config_strings(config):
        # Anything named like a created role (`.+`: however malformed) must be this stage's.
        kind = created_role_kind(value, stage=".+", region=".+")
        if kind is None or field.startswith("roles.") or created_role_kind(value, **here):
            continue
        name = value.rsplit("/", 1)[-1]
        expected = created_role_name(stage, region or "<region>", kind)
        yield f"{field}: {name} is not a role this stage creates ({expected})"


def readme_policies() -> dict[str, dict[str, Any]]:
    """The policies as the README prints them, in the Service Authorization Reference's notation."""
    return {"trust": trust_policy("${Account}"), **permission_policies("${Partition}", "${Region}")}


class ServiceRoles(Construct):
    """`import_role`, `builder_role`, `export_role`: the configured ARN's role, or one created here."""

    def __init__(self, scope: Construct, construct_id: str, *, stage: str, config: DeploymentConfig) -> None:
        super().__init__(scope, construct_id)
        region = Stack.of(self).region
        problems = list(other_stage_roles(config, stage, None if Token.is_unresolved(region) else region))
        if problems:
            raise ConfigError("; ".join(problems))
        policies = permission_policies(Aws.PARTITION, Aws.REGION)
        self.created: dict[str, iam.Role] = {}
        roles: dict[str, iam.IRole] = {}
        for kind in ROLE_KINDS:
            arn = config.roles.arn(kind)
            if arn is not None:
                roles[kind] = iam.Role.from_role_arn(self, f"{kind.title()}Role", arn)
                continue
            role = iam.Role(
                self,
                f"{kind.title()}Role",
                # Named, so a stored request can write its ARN (see config.created_role_name).
                role_name=created_role_name(stage, Stack.of(self).region, kind),
                description=f"AppStream Image Factory ({stage}): the {kind} role AppStream assumes",
                assumed_by=iam.ServicePrincipal(
                    APPSTREAM_PRINCIPAL, conditions={"StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID}}
                ),
                inline_policies=(
                    {f"AppStream{kind.title()}": iam.PolicyDocument.from_json(policies[kind])}
                    if kind in policies
                    else None
                ),
            )
            self.created[kind] = roles[kind] = role
            if kind in policies:
                self._acknowledge(role, kind)
        self.import_role, self.builder_role, self.export_role = (roles[kind] for kind in ROLE_KINDS)

    def passable_role_arns(self) -> list[str]:
        """What the workflow may pass to AppStream: exactly these roles."""
        roles = (self.import_role, self.builder_role, self.export_role)
        return list(dict.fromkeys(role.role_arn for role in roles))

    @staticmethod
    def _acknowledge(role: iam.Role, kind: str) -> None:
        # The same policy, spelled as cdk-nag names its wildcard resources.
        spelled = permission_policies("<AWS::Partition>", "<AWS::Region>")[kind]
        for statement in spelled["Statement"]:
            resources = statement["Resource"]
            for resource in resources if isinstance(resources, list) else [resources]:
                reason = _WILDCARD_REASONS[resource.split("::")[-1]]
                acknowledge(role, f"AwsSolutions-IAM5[Resource::{resource}]", reason)


_WILDCARD_REASONS = {
    "*": "ec2:DescribeImages supports no resource-level permissions; AppStream reads the AMI it works on.",
    "image/*": "AppStream picks the AMI at run time (the imported one, or the copy it makes); "
    "the grant is this region's AMIs, for the documented actions only.",
    "snapshot/*": "The snapshots of the AMI AppStream copies are new; only CopyImage and CreateTags apply.",
}
