"""What the engine does to stay cheap with many runs must not change what the runs see."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.table import Table
from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker
from moto.stepfunctions.parser.models import StepFunctionsParserBackend

from functions.core import names
from functions.core.settings import get_settings
from functions.workflows import LambdaTask
from functions.workflows.image_pipeline.slots import BuilderSlots
from image_factory.local_engine.engine import LocalEngine

LOOP = Path(__file__).parent / "fixtures" / "loop.asl.json"
TASKS = (
    LambdaTask("Prepare", "tests.engine.loop_handlers.prepare", "PrepareFunctionArn"),
    LambdaTask("Check", "tests.engine.loop_handlers.check", "CheckFunctionArn"),
)
SCALE = 20_000.0
FOREVER = 10**9  # simulated seconds a slot is held: never reclaimed during a test
ROLE = "arn:aws:iam::123456789012:role/state-machine"


@pytest.fixture
def engine() -> Iterator[LocalEngine]:
    with LocalEngine(definition=LOOP, tasks=TASKS, time_scale=SCALE) as running:
        yield running


def _put(table: str, partition: str, sort: str) -> None:
    item = {names.PARTITION_KEY: {"S": partition}, names.SORT_KEY: {"S": sort}, "note": {"S": sort}}
    boto3.client("dynamodb").put_item(TableName=table, Item=item)


def _query(table: str, partition: str, **options: Any) -> dict[str, Any]:
    response: dict[str, Any] = boto3.client("dynamodb").query(
        TableName=table,
        KeyConditionExpression="#pk = :pk",
        ExpressionAttributeNames={"#pk": names.PARTITION_KEY},
        ExpressionAttributeValues={":pk": {"S": partition}},
        **options,
    )
    return response


def _sort_keys(response: dict[str, Any]) -> list[str]:
    return [item[names.SORT_KEY]["S"] for item in response["Items"]]


def test_a_history_longer_than_one_page_is_read_whole(engine: LocalEngine) -> None:
    outcome = engine.run({"checks": 120, "seconds": 1})
    history = engine.executions[0].history()

    assert outcome.status == "SUCCEEDED"
    assert len(history) > 1000  # GetExecutionHistory returns at most 1000 events a page
    assert history[-1]["type"] == "ExecutionSucceeded"
    assert [step.name for step in outcome.steps].count("Check") == 120
    assert all(type(event["type"]) is str for event in history)
    assert all(isinstance(event["timestamp"], datetime) for event in history)


def test_a_slot_try_that_finds_every_slot_taken_changes_nothing(engine: LocalEngine) -> None:
    table = get_settings().runs_table
    _put(table, "RUN#other", "RUN")
    slots = BuilderSlots(table, limit=1)

    assert slots.acquire("run-a", "arn-a", FOREVER)
    assert not slots.acquire("run-b", "arn-b", FOREVER)
    assert not slots.holds("run-b")
    assert slots.in_use() == 1
    assert _sort_keys(_query(table, "RUN#other")) == ["RUN"]

    assert slots.release("run-a")
    assert not slots.release("run-a")
    assert slots.in_use() == 0
    assert slots.acquire("run-b", "arn-b", FOREVER)
    assert slots.in_use() == 1


def test_a_query_returns_its_partition_in_key_order_page_by_page(engine: LocalEngine) -> None:
    table = get_settings().runs_table
    for sort in ("c", "a", "b"):
        _put(table, "RUN#one", sort)
    _put(table, "RUN#two", "a")

    assert _sort_keys(_query(table, "RUN#one")) == ["a", "b", "c"]
    assert _sort_keys(_query(table, "RUN#one", ScanIndexForward=False)) == ["c", "b", "a"]
    first = _query(table, "RUN#one", Limit=2)
    second = _query(table, "RUN#one", Limit=2, ExclusiveStartKey=first["LastEvaluatedKey"])
    assert _sort_keys(first) + _sort_keys(second) == ["a", "b", "c"]
    assert _sort_keys(_query(table, "RUN#three")) == []


def test_leaving_the_engine_puts_back_what_it_made_cheaper() -> None:
    originals = (
        Table.query,
        DynamoDBBackend.transact_write_items,
        ExecutionWorker._get_evaluation_entrypoint,
        StepFunctionsParserBackend._validate_definition,
    )
    with LocalEngine(definition=LOOP, tasks=TASKS, time_scale=SCALE) as engine:
        engine.run({"checks": 1})
        assert Table.query is not originals[0]

    assert (
        Table.query,
        DynamoDBBackend.transact_write_items,
        ExecutionWorker._get_evaluation_entrypoint,
        StepFunctionsParserBackend._validate_definition,
    ) == (originals)


def test_a_definition_that_does_not_parse_is_still_refused_by_name(engine: LocalEngine) -> None:
    # Parsed definitions are kept for later engines; a broken one is still refused as moto refuses it.
    broken = json.dumps({"StartAt": "Prepare", "States": {"Prepare": {"Type": "Task", "End": True}}})
    sfn = boto3.client("stepfunctions")
    for _ in range(2):
        with pytest.raises(ClientError, match="No Resource declaration in State Task"):
            sfn.create_state_machine(name="broken", definition=broken, roleArn=ROLE)


def test_a_later_engine_runs_the_definition_an_earlier_one_parsed() -> None:
    for _ in range(2):
        with LocalEngine(definition=LOOP, tasks=TASKS, time_scale=SCALE) as engine:
            outcome = engine.run({"checks": 2, "seconds": 1})
        assert outcome.status == "SUCCEEDED"
        assert [step.name for step in outcome.steps].count("Check") == 2
