"""What the image builder's role may do for the builder agent, and nothing more.

The agent inside an image builder reads `jobs/<builder>/job.json`, writes
`jobs/<builder>/result.json` and `jobs/<builder>/status.json`, and downloads the
job's pinned scripts. `builder_agent_policy_document` says exactly that as an IAM
policy document (the one published in `agent/builder-role-policy.json` and
docs/agent.md); `BuilderAgentPolicy` puts it on the builder role as a managed policy.

AppStream hands one role's credentials to every builder that uses the role and
documents no per-builder session name or tag, so IAM cannot tell one builder from
another with the same role: `builder_names` narrows the documents to the builders of
one pipeline (`pipeline_builder_names`), and a role per pipeline keeps pipelines apart.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from constructs import Construct

from agent_contract.documents import JOBS_PREFIX, job_key, result_key, status_key
from stacks.config import DeploymentConfig
from stacks.nag import acknowledge, flatten

POLICY_VERSION = "2012-10-17"
ALL_BUILDERS = "*"


def pipeline_builder_names(pipeline: str) -> str:
    """The builder names of one pipeline's runs (`{pipeline}-{run_id}-builder`), as an IAM pattern."""
    return f"{pipeline}-*-builder"


def pinned_script_arns(scope: Construct, config: DeploymentConfig) -> list[str]:
    """The S3 objects the configured pipelines pin as scripts: the only scripts builders may read."""
    uris = {
        str(script["s3_uri"])
        for pipeline in config.pipelines
        for script in (pipeline.request.get("snapshot") or {}).get("scripts") or []
    }
    partition = Stack.of(scope).partition  # not `aws`: GovCloud and China have their own
    return [f"arn:{partition}:s3:::{uri.removeprefix('s3://')}" for uri in sorted(uris)]


def builder_agent_policy_document(
    *, bucket_arn: str, builder_names: str = ALL_BUILDERS, script_object_arns: Sequence[str] = ()
) -> dict[str, Any]:
    """The builder role's whole grant: its job documents, and the scripts jobs may pin.

    `bucket_arn` may be a CDK token; `script_object_arns` are object ARNs (wildcards
    allowed) where the pipelines keep the scripts their jobs pin.
    """
    statements: list[dict[str, Any]] = [
        {
            "Sid": "ReadOwnJob",
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": f"{bucket_arn}/{job_key(builder_names)}",
        },
        {
            "Sid": "WriteOwnResultAndStatus",
            "Effect": "Allow",
            "Action": "s3:PutObject",
            "Resource": [
                f"{bucket_arn}/{result_key(builder_names)}",
                f"{bucket_arn}/{status_key(builder_names)}",
            ],
        },
        {
            # Without it a missing job reads as AccessDenied instead of NoSuchKey.
            "Sid": "SeeWhetherOwnJobExists",
            "Effect": "Allow",
            "Action": "s3:ListBucket",
            "Resource": bucket_arn,
            "Condition": {"StringLike": {"s3:prefix": [f"{JOBS_PREFIX}/{builder_names}/*"]}},
        },
    ]
    if script_object_arns:
        statements.append(
            {
                "Sid": "ReadPinnedScripts",
                "Effect": "Allow",
                "Action": "s3:GetObject",
                "Resource": list(script_object_arns),
            }
        )
    return {"Version": POLICY_VERSION, "Statement": statements}


class BuilderAgentPolicy(Construct):
    """A managed policy with `builder_agent_policy_document`, attached to the builder role when given.

    The role may be imported (`iam.Role.from_role_arn`): the policy names it, so the
    role itself is not modified by this stack.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        jobs_bucket: s3.IBucket,
        builder_role: iam.IRole | None = None,
        builder_names: str = ALL_BUILDERS,
        script_object_arns: Sequence[str] = (),
    ) -> None:
        super().__init__(scope, construct_id)
        self.document = iam.PolicyDocument.from_json(
            builder_agent_policy_document(
                bucket_arn=jobs_bucket.bucket_arn,
                builder_names=builder_names,
                script_object_arns=script_object_arns,
            )
        )
        self.policy = iam.ManagedPolicy(
            self,
            "Policy",
            description="AppStream Image Factory builder agent: read its job, write its result and status",
            document=self.document,
            roles=[builder_role] if builder_role is not None else None,
        )
        for resource in _wildcard_resources(Stack.of(self).resolve(self.document.to_json())):
            acknowledge(
                self.policy,
                f"AwsSolutions-IAM5[Resource::{resource}]",
                "Builders are named per run: the grant names the job, result and status document files of "
                "the matching builders (never a whole prefix), and the script locations the pipelines pin.",
            )


def _wildcard_resources(document: dict[str, Any]) -> list[str]:
    """The policy's wildcard resources, written as cdk-nag names them in its findings."""
    found = []
    for statement in document["Statement"]:
        resources = statement["Resource"]
        for resource in resources if isinstance(resources, list) else [resources]:
            text = flatten(resource)
            if "*" in text:
                found.append(text)
    return found
