"""The emulated account around the workflow: what CDK deploys, created in moto instead.

One role for the state machine and the functions, the runs table with the key
design of `functions.core.names`, the jobs bucket, the notification topic, the event
bus, and one moto Lambda function per catalog task (its `Handler` is the dotted
path the in-process invoker runs). The result is the placeholder values for the
ASL and the environment the handlers read.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3

from functions.core import names
from functions.workflows import RESOURCE_PLACEHOLDERS, LambdaTask
from stacks.config import ROLE_KINDS, DeploymentConfig, created_role_name, load_config

RESOURCE_PREFIX = "image-factory-local"
RUNS_TABLE = f"{RESOURCE_PREFIX}-runs"
JOBS_BUCKET = f"{RESOURCE_PREFIX}-jobs"
NOTIFICATION_TOPIC = f"{RESOURCE_PREFIX}-notifications"
EVENT_BUS = f"{RESOURCE_PREFIX}-events"
ROLE = f"{RESOURCE_PREFIX}-role"
STATE_MACHINE = f"{RESOURCE_PREFIX}-image-pipeline"
STAGE = "local"  # the functions' stage, unless the engine's settings name another


# Without a configuration of its own, the local account is the bundled example deployment's:
# its roles are the ones the bundled requests name.
EXAMPLE_CONFIG = Path(__file__).resolve().parents[2] / "stacks" / "pipelines.example.yaml"


def passable_role_arns(config: DeploymentConfig | None, *, account: str, stage: str, region: str) -> str:
    """`PASSABLE_ROLE_ARNS` as the stack sets it: each configured role, or the one it creates."""
    roles = (config if config is not None else load_config(EXAMPLE_CONFIG)).roles
    arns = (
        roles.arn(kind) or f"arn:aws:iam::{account}:role/{created_role_name(stage, region, kind)}"
        for kind in ROLE_KINDS
    )
    return ",".join(dict.fromkeys(arns))


def shared_image_accounts(config: DeploymentConfig | None) -> str:
    """`SHARED_IMAGE_ACCOUNTS` as the stack sets it: the configured accounts."""
    settings = (config if config is not None else load_config(EXAMPLE_CONFIG)).settings
    return ",".join(settings.shared_image_accounts)


def state_machine_name(workflow: str) -> str:
    """The local state machine of a workflow (`STATE_MACHINE` for the image pipeline)."""
    return f"{RESOURCE_PREFIX}-{workflow}"


_TRUST_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": ["states.amazonaws.com", "lambda.amazonaws.com"]},
            "Action": "sts:AssumeRole",
        }
    ],
}


@dataclass(frozen=True)
class LocalResources:
    role_arn: str
    placeholders: dict[str, str]  # ASL placeholder -> value
    environment: dict[str, str]  # what every handler sees in os.environ


def _placeholder_code() -> bytes:
    # moto requires a code package; the invoker runs the handler from this process instead.
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("README.txt", "Runs in-process: see image_factory.local_engine.lambdas.\n")
    return buffer.getvalue()


def provision(region: str, tasks: Sequence[LambdaTask], settings: dict[str, str]) -> LocalResources:
    """Create the account's resources in moto (which must be active) and return their names and ARNs."""
    iam = boto3.client("iam", region_name=region)
    role_arn = iam.create_role(RoleName=ROLE, AssumeRolePolicyDocument=json.dumps(_TRUST_POLICY))["Role"][
        "Arn"
    ]

    table_arguments: dict[str, Any] = names.table_key_schema()
    boto3.client("dynamodb", region_name=region).create_table(TableName=RUNS_TABLE, **table_arguments)
    s3 = boto3.client("s3", region_name=region)
    if region == "us-east-1":
        s3.create_bucket(Bucket=JOBS_BUCKET)
    else:
        s3.create_bucket(Bucket=JOBS_BUCKET, CreateBucketConfiguration={"LocationConstraint": region})  # type: ignore[typeddict-item]
    # As the stack sets it: S3 sends the bucket's object events to the default bus (stacks/storage.py).
    s3.put_bucket_notification_configuration(
        Bucket=JOBS_BUCKET, NotificationConfiguration={"EventBridgeConfiguration": {}}
    )
    topic_arn = boto3.client("sns", region_name=region).create_topic(Name=NOTIFICATION_TOPIC)["TopicArn"]
    boto3.client("events", region_name=region).create_event_bus(Name=EVENT_BUS)

    resource_values = {
        names.ENV_RUNS_TABLE: RUNS_TABLE,
        names.ENV_JOBS_BUCKET: JOBS_BUCKET,
        names.ENV_NOTIFICATION_TOPIC: topic_arn,
        names.ENV_EVENT_BUS: EVENT_BUS,
    }
    environment = {**resource_values, names.ENV_STAGE: STAGE, **settings}
    placeholders = {
        placeholder: resource_values[variable] for placeholder, variable in RESOURCE_PLACEHOLDERS.items()
    }

    lambda_client = boto3.client("lambda", region_name=region)
    code = _placeholder_code()
    for task in tasks:
        function = lambda_client.create_function(
            FunctionName=task.name,
            Runtime="python3.11",
            Role=role_arn,
            Handler=task.handler,
            Code={"ZipFile": code},
            Timeout=task.timeout_seconds,
            MemorySize=task.memory_mb,
            Environment={"Variables": environment},
        )
        placeholders[task.placeholder] = function["FunctionArn"]
    return LocalResources(role_arn=role_arn, placeholders=placeholders, environment=environment)
