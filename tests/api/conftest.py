"""The run API's handler on moto: the runs table and state machines whose executions only get recorded."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from moto import mock_aws

from functions.api import executions, pipelines
from functions.api.settings import get_api_settings
from functions.core import clients, names, settings
from functions.core.records import RunRecords
from functions.workflows import DEFAULT_WORKFLOW, WORKFLOWS
from image_factory.local_engine.lambdas import LambdaContext
from image_factory.remote.gateway_events import proxy_answer, proxy_event

TABLE = "image-factory-runs"
STATE_MACHINE = "image-pipeline"
CONFIGURED = {
    "pipelines": [
        {
            "name": "golden",
            "request": {
                "source": {"image_name": "base-image"},
                "builder": {
                    "instance_type": "stream.standard.medium",
                    "subnet_ids": ["subnet-0a1b2c3d4e5f60718"],
                },
            },
        }
    ]
}


@dataclass
class Answer:
    status: int
    document: dict[str, Any]


@dataclass
class Api:
    records: RunRecords
    state_machine_arn: str
    call: Callable[..., Answer]
    workflow_state_machines: dict[str, str]

    def executions(self, workflow: str = DEFAULT_WORKFLOW) -> list[dict[str, Any]]:
        sfn = boto3.client("stepfunctions")
        machine = self.workflow_state_machines.get(workflow, self.state_machine_arn)
        listed = sfn.list_executions(stateMachineArn=machine)["executions"]
        return [sfn.describe_execution(executionArn=e["executionArn"]) for e in listed]


def call_handler(
    method: str,
    path: str,
    body: Any = None,
    raw: bytes | None = None,
    content_type: str = "application/json",
    headers: dict[str, str] | None = None,
) -> Answer:
    from functions.api.handler import handler

    payload = raw if raw is not None else (json.dumps(body).encode() if body is not None else b"")
    event = proxy_event(method, path, {"Content-Type": content_type, **(headers or {})}, payload)
    context = LambdaContext("RunApi", "arn:aws:lambda:us-east-1:123456789012:function:RunApi", 512, 29)
    status, _, answer = proxy_answer(handler(event, context))  # type: ignore[arg-type]
    return Answer(status, json.loads(answer))


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch) -> Iterator[Api]:
    with mock_aws():
        boto3.client("dynamodb").create_table(TableName=TABLE, **names.table_key_schema())  # type: ignore[arg-type]
        role = "arn:aws:iam::123456789012:role/pipeline"
        definition = json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}})
        sfn = boto3.client("stepfunctions")
        arn = sfn.create_state_machine(name=STATE_MACHINE, definition=definition, roleArn=role)[
            "stateMachineArn"
        ]
        # Executions of these state machines are only recorded (moto runs none of them).
        lifecycle = {
            workflow: sfn.create_state_machine(name=workflow, definition=definition, roleArn=role)[
                "stateMachineArn"
            ]
            for workflow in WORKFLOWS
            if workflow != DEFAULT_WORKFLOW
        }
        environment = {
            **{
                names.env_workflow_state_machine(workflow): machine for workflow, machine in lifecycle.items()
            },
            names.ENV_RUNS_TABLE: TABLE,
            names.ENV_STAGE: "test",
            names.ENV_JOBS_BUCKET: "jobs",
            names.ENV_NOTIFICATION_TOPIC: "arn:aws:sns:us-east-1:123456789012:notices",
            names.ENV_PIPELINE_STATE_MACHINE: arn,
            names.ENV_PIPELINES_CONFIG: json.dumps(CONFIGURED),
        }
        for variable, value in environment.items():
            monkeypatch.setenv(variable, value)
        caches = (settings.get_settings.cache_clear, get_api_settings.cache_clear, pipelines.forget)
        for forget in (*caches, executions.reset, clients.reset):
            forget()
        yield Api(RunRecords(TABLE, "default"), arn, call_handler, lifecycle)
        for forget in (*caches, executions.reset, clients.reset):
            forget()
