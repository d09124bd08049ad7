"""Fixtures for the functions: moto for DynamoDB/S3/SNS/EventBridge, the AppStream emulator in-process,
and one manual clock that drives both the emulator and the functions' time."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from moto import mock_aws

from appstream_emulator import S3JobsStore
from appstream_emulator.clock import ManualClock
from appstream_emulator.core import Emulator
from appstream_emulator.inprocess import emulated_appstream
from appstream_emulator.scenario import Scenario
from functions.core import clients, names, settings, timeutil
from functions.core.context import Context, get_context
from functions.core.execution import Execution
from functions.workflows.image_pipeline.plan import Plan, build_plan
from functions.workflows.image_pipeline.request import PipelineRequest

TABLE = "image-factory-runs"
BUCKET = "image-factory-jobs"
ROLE = "arn:aws:iam::123456789012:role/AppStreamImport"
STAGE = "test"


@dataclass
class Account:
    """Everything a service test touches: the context, the emulator and the clock they share."""

    context: Context
    clock: ManualClock
    emulator: Emulator

    def advance(self, seconds: float) -> None:
        self.clock.advance(seconds)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def scenario() -> Scenario:
    return Scenario()


@pytest.fixture
def account(clock: ManualClock, scenario: Scenario, monkeypatch: pytest.MonkeyPatch) -> Iterator[Account]:
    with mock_aws():
        dynamodb = boto3.client("dynamodb")
        dynamodb.create_table(TableName=TABLE, **names.table_key_schema())  # type: ignore[arg-type]
        boto3.client("s3").create_bucket(Bucket=BUCKET)
        topic = boto3.client("sns").create_topic(Name="image-factory")["TopicArn"]
        monkeypatch.setenv(names.ENV_RUNS_TABLE, TABLE)
        monkeypatch.setenv(names.ENV_JOBS_BUCKET, BUCKET)
        monkeypatch.setenv(names.ENV_NOTIFICATION_TOPIC, topic)
        monkeypatch.setenv(names.ENV_BUILDER_SLOT_LIMIT, "2")
        monkeypatch.setenv(names.ENV_STAGE, STAGE)
        settings.get_settings.cache_clear()
        clients.reset()
        timeutil.set_clock(clock.now)
        emulator = Emulator(scenario, clock, jobs=S3JobsStore(BUCKET, lambda: boto3.client("s3")))
        try:
            with emulated_appstream(emulator):
                yield Account(get_context(), clock, emulator)
        finally:
            timeutil.reset_clock()
            settings.get_settings.cache_clear()
            clients.reset()


def request_document(**overrides: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "pipeline": "golden",
        "source": {"ami_id": "ami-0123456789abcdef0", "import_role_arn": ROLE},
        "builder": {
            "instance_type": "stream.standard.large",
            "root_volume_gb": 300,
            "subnet_ids": ["subnet-0a1b2c3d4e5f60718"],
        },
        "export": {"role_arn": ROLE},
    }
    document.update(overrides)
    return document


def make_plan(execution_name: str = "run-1", **overrides: Any) -> Plan:
    request = PipelineRequest.model_validate(request_document(**overrides))
    execution = Execution(
        id=f"arn:aws:states:us-east-1:123456789012:execution:image-pipeline:{execution_name}",
        name=execution_name,
        start_time="2026-01-01T00:00:00.000Z",
    )
    return build_plan(request, execution, STAGE)


def start_run(account: Account, plan: Plan) -> None:
    account.context.records.start_run(
        plan.run_id, plan.pipeline, plan.execution_arn, plan.request.to_document()
    )


@dataclass(frozen=True)
class FakeLambdaContext:
    """The attributes of the Lambda context object the handlers' Powertools decorators read."""

    function_name: str = "image-factory-test"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:image-factory-test"
    aws_request_id: str = "request-1"


def phase_until_done(account: Account, check: Any, phase: Any, limit: int = 60) -> Any:
    """Sleep as the state machine would (each planned wait on the shared clock), then check, until done."""
    for _ in range(limit):
        if phase.done:
            return phase
        account.advance(phase.wait_seconds)
        phase = check(phase)
    raise AssertionError(f"not done after {limit} checks: {phase}")
