"""The builder role's policy: its own job documents and the pinned scripts, nothing else."""

from __future__ import annotations

import json
import os
import re
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

from aws_cdk import App, Stack, Validations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from cdk_nag import AwsSolutionsChecks

from agent_contract.documents import job_key, result_key, status_key
from stacks.builder_agent_policy import BuilderAgentPolicy, pipeline_builder_names
from tests.agent.test_documents import plan_with_scripts

ROOT = Path(__file__).resolve().parents[2]
PUBLISHED = ROOT / "agent" / "builder-role-policy.json"
ROLE_ARN = "arn:aws:iam::123456789012:role/golden-builder"
SCRIPTS = "arn:aws:s3:::factory-scripts/golden/*"


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    app = App(outdir=str(tmp_path_factory.mktemp("cdk.out")))
    stack = Stack(app, "AgentPolicy")
    bucket = s3.Bucket.from_bucket_name(stack, "Jobs", "factory-jobs")
    BuilderAgentPolicy(
        stack,
        "BuilderAgent",
        jobs_bucket=bucket,
        builder_role=iam.Role.from_role_arn(stack, "BuilderRole", ROLE_ARN),
        builder_names=pipeline_builder_names("golden"),
        script_object_arns=[SCRIPTS],
    )
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    assembly = app.synth()  # unacknowledged AWS Solutions findings fail here
    result: dict[str, Any] = assembly.get_stack_by_name("AgentPolicy").template
    return result


def statements(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    (policy,) = [r for r in template["Resources"].values() if r["Type"] == "AWS::IAM::ManagedPolicy"]
    return {statement["Sid"]: statement for statement in policy["Properties"]["PolicyDocument"]["Statement"]}


def object_arn(resource: Any) -> str:
    """A bucket's object ARN (`Fn::Join` with the partition) as `BUCKET/jobs/...`."""
    if isinstance(resource, str):
        return resource
    text = "".join(part if isinstance(part, str) else "aws" for part in resource["Fn::Join"][1])
    return text.replace("arn:aws:s3:::factory-jobs", "BUCKET")


def test_the_policy_is_attached_to_the_builder_role(template: dict[str, Any]) -> None:
    (policy,) = [r for r in template["Resources"].values() if r["Type"] == "AWS::IAM::ManagedPolicy"]
    assert policy["Properties"]["Roles"] == ["golden-builder"]


def test_the_builder_reads_only_its_job_and_writes_only_its_result_and_status(
    template: dict[str, Any],
) -> None:
    granted = statements(template)
    assert set(granted) == {
        "ReadOwnJob",
        "WriteOwnResultAndStatus",
        "SeeWhetherOwnJobExists",
        "ReadPinnedScripts",
    }
    assert all(statement["Effect"] == "Allow" for statement in granted.values())
    assert granted["ReadOwnJob"]["Action"] == "s3:GetObject"
    assert object_arn(granted["ReadOwnJob"]["Resource"]) == "BUCKET/jobs/golden-*-builder/job.json"
    assert granted["WriteOwnResultAndStatus"]["Action"] == "s3:PutObject"
    assert [object_arn(arn) for arn in granted["WriteOwnResultAndStatus"]["Resource"]] == [
        "BUCKET/jobs/golden-*-builder/result.json",
        "BUCKET/jobs/golden-*-builder/status.json",
    ]
    listing = granted["SeeWhetherOwnJobExists"]
    assert listing["Action"] == "s3:ListBucket" and object_arn(listing["Resource"]) == "BUCKET"
    assert listing["Condition"] == {"StringLike": {"s3:prefix": ["jobs/golden-*-builder/*"]}}
    assert granted["ReadPinnedScripts"] == {
        "Sid": "ReadPinnedScripts",
        "Effect": "Allow",
        "Action": "s3:GetObject",
        "Resource": SCRIPTS,
    }
    assert "*" not in json.dumps([statement["Action"] for statement in granted.values()])


def test_the_published_policy_is_scoped_to_one_pipelines_builders() -> None:
    document = json.loads(PUBLISHED.read_text())
    granted = {statement["Sid"]: statement for statement in document["Statement"]}
    read = granted["ReadOwnJob"]["Resource"].removeprefix("arn:aws:s3:::JOBS_BUCKET/")
    writes = [
        arn.removeprefix("arn:aws:s3:::JOBS_BUCKET/")
        for arn in granted["WriteOwnResultAndStatus"]["Resource"]
    ]
    assert fnmatchcase(job_key("PIPELINE-run-1-builder"), read)
    assert not fnmatchcase(job_key("other-run-1-builder"), read)
    assert not fnmatchcase(result_key("PIPELINE-run-1-builder"), read)  # reading results is not granted
    assert any(fnmatchcase(result_key("PIPELINE-run-1-builder"), arn) for arn in writes)
    assert any(fnmatchcase(status_key("PIPELINE-run-1-builder"), arn) for arn in writes)
    assert not any(fnmatchcase(job_key("PIPELINE-run-1-builder"), arn) for arn in writes)  # nor writing jobs


def test_the_workflows_builders_are_the_ones_a_pipelines_policy_covers() -> None:
    plan = plan_with_scripts()
    assert fnmatchcase(job_key(plan.builder_name), job_key(pipeline_builder_names(plan.pipeline)))


def test_the_docs_show_the_published_policy() -> None:
    docs = (ROOT / "docs" / "agent.md").read_text()
    blocks = [json.loads(block) for block in re.findall(r"```json\n(.*?)```", docs, flags=re.DOTALL)]
    assert json.loads(PUBLISHED.read_text()) in blocks
