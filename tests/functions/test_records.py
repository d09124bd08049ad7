"""Run and step records: conditional writes keep them right when a task runs twice."""

from __future__ import annotations

import json

import boto3

from functions.core import names
from functions.core.dynamo import serialize
from tests.functions.conftest import TABLE, Account, make_plan, start_run


def step(account: Account, run_id: str, name: str) -> dict:  # type: ignore[type-arg]
    return next(s for s in account.context.records.get_steps(run_id) if s["step"] == name)


def test_a_replayed_start_does_not_reopen_a_finished_step(account: Account) -> None:
    records = account.context.records
    plan = make_plan()
    start_run(account, plan)
    records.step_started(plan.run_id, "builder", {"builder_name": "b"})
    records.step_succeeded(plan.run_id, "builder", {"builder_name": "b"}, 700)
    records.step_started(plan.run_id, "builder", {"builder_name": "b"})
    assert step(account, plan.run_id, "builder")["status"] == "SUCCEEDED"
    assert step(account, plan.run_id, "builder")["duration_seconds"] == 700


def test_poll_counts_never_go_back(account: Account) -> None:
    records = account.context.records
    plan = make_plan()
    start_run(account, plan)
    records.step_started(plan.run_id, "export", {})
    records.step_polled(plan.run_id, "export", 3, "EXPORTING")
    records.step_polled(plan.run_id, "export", 2, "EXPORTING")  # a replay of an older check
    assert step(account, plan.run_id, "export")["polls"] == 3


def test_each_check_is_kept_once_with_what_it_saw(account: Account) -> None:
    records = account.context.records
    plan = make_plan()
    start_run(account, plan)
    records.step_started(plan.run_id, "export", {})
    records.step_polled(plan.run_id, "export", 1, "PENDING", 60)
    records.step_polled(plan.run_id, "export", 2, "EXPORTING", 60)
    records.step_polled(plan.run_id, "export", 2, "EXPORTING", 60)  # a replayed check
    checks = step(account, plan.run_id, "export")["checks"]
    assert [check["saw"] for check in checks] == ["PENDING", "EXPORTING"]
    assert all(check["at"].endswith("Z") for check in checks)


def test_the_first_error_of_a_run_is_kept(account: Account) -> None:
    records = account.context.records
    plan = make_plan()
    start_run(account, plan)
    records.record_run_error(plan.run_id, "import", "ImageImportFailed", "import: VALIDATION_ERROR")
    records.record_run_error(plan.run_id, "cleanup", "CleanupIncomplete", "cleanup: builder left")
    run = records.finish_run(plan.run_id, "FAILED", {"step": "x", "code": "Other", "message": "later"})
    assert run["status"] == "FAILED"
    assert run["error"] == {
        "step": "import",
        "code": "ImageImportFailed",
        "message": "import: VALIDATION_ERROR",
    }


def test_a_finished_run_stays_finished(account: Account) -> None:
    records = account.context.records
    plan = make_plan()
    start_run(account, plan)
    records.finish_run(plan.run_id, "SUCCEEDED")
    start_run(account, plan)  # a replayed start of the same execution
    assert records.finish_run(plan.run_id, "FAILED", {"step": "a", "code": "b", "message": "c"})[
        "status"
    ] == ("SUCCEEDED")


def test_runs_list_newest_first_by_pipeline_and_status(account: Account) -> None:
    records = account.context.records
    for name, pipeline in [("one", "golden"), ("two", "other"), ("three", "golden")]:
        plan = make_plan(name, pipeline=pipeline)
        start_run(account, plan)
        account.advance(60)
    records.finish_run("one", "SUCCEEDED")
    dynamodb = boto3.client("dynamodb")

    def query(index: names.IndexDefinition, value: str) -> list[str]:
        items = dynamodb.query(
            TableName=TABLE,
            IndexName=index.name,
            KeyConditionExpression="#pk = :pk",
            ExpressionAttributeNames={"#pk": index.partition_key},
            ExpressionAttributeValues=serialize({":pk": value}),
            ScanIndexForward=False,
        )["Items"]
        return [item["run_id"]["S"] for item in items]

    assert query(names.RUNS_BY_START, names.RUNS_LIST_VALUE) == ["three", "two", "one"]
    assert query(names.RUNS_BY_PIPELINE, "golden") == ["three", "one"]
    assert query(names.RUNS_BY_STATUS, "RUNNING") == ["three", "two"]
    assert query(names.RUNS_BY_PIPELINE_STATUS, "golden#SUCCEEDED") == ["one"]


def test_run_state_changes_are_published(account: Account) -> None:
    sqs = boto3.client("sqs")
    queue = sqs.create_queue(QueueName="run-events")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    events = boto3.client("events")
    events.put_rule(Name="runs", EventPattern=json.dumps({"source": [names.EVENT_SOURCE]}))
    events.put_targets(Rule="runs", Targets=[{"Id": "queue", "Arn": queue_arn}])
    plan = make_plan()
    start_run(account, plan)
    account.context.records.finish_run(plan.run_id, "SUCCEEDED")

    messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]
    received = [json.loads(message["Body"]) for message in messages]
    assert [event["detail-type"] for event in received] == [names.EVENT_DETAIL_TYPE_RUN] * 2
    assert [event["detail"]["status"] for event in received] == ["RUNNING", "SUCCEEDED"]


def test_steps_outside_the_pipeline_order_come_in_the_order_they_started(account: Account) -> None:
    # An export backup's steps: its selection, then one export per image, whatever their names.
    records = account.context.records
    plan = make_plan()
    start_run(account, plan)
    for name in ("selection", "export:zeta", "export:alpha"):
        records.step_started(plan.run_id, name, {})
        account.advance(1)
    assert [s["step"] for s in records.get_steps(plan.run_id)] == ["selection", "export:zeta", "export:alpha"]
