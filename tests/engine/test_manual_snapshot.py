"""Manual snapshots: the workflow announces the builder and image name, then waits for an administrator."""

from __future__ import annotations

import json
import os
import time
from typing import Any

import boto3
import pytest

from agent_contract.documents import ImageSpec
from functions.core import names
from tests.engine.pipeline_support import fast_engine, fast_request

NOTICE_TIMEOUT_SECONDS = 60


def manual_request() -> dict[str, Any]:
    request = fast_request("reference")
    request["snapshot"] = {"mode": "manual", "image_name": "{pipeline}-{run}-manual"}
    return request


def subscribe_administrators() -> tuple[Any, str]:
    sqs = boto3.client("sqs", region_name="us-east-1")
    queue_url = sqs.create_queue(QueueName="administrators")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]
    boto3.client("sns", region_name="us-east-1").subscribe(
        TopicArn=os.environ[names.ENV_NOTIFICATION_TOPIC],
        Protocol="sqs",
        Endpoint=queue_arn["QueueArn"],
        Attributes={"RawMessageDelivery": "true"},
    )
    return sqs, queue_url


def next_notice(sqs: Any, queue_url: str) -> dict[str, Any]:
    deadline = time.monotonic() + NOTICE_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=1).get("Messages", [])
        if messages:
            return dict(json.loads(messages[0]["Body"]))
        time.sleep(0.05)
    raise AssertionError("no manual snapshot notice was published")


@pytest.mark.usefixtures("deployed_permissions")
def test_the_run_finishes_once_the_administrator_creates_the_announced_image() -> None:
    with fast_engine() as engine:
        sqs, queue_url = subscribe_administrators()
        execution = engine.start(manual_request())
        notice = next_notice(sqs, queue_url)
        assert notice["run_id"] == execution.name
        assert notice["image_name"] in notice["instructions"]

        engine.emulator.run_image_assistant(notice["image_builder"], ImageSpec(name=notice["image_name"]))
        outcome = execution.wait(timeout=120)

    assert outcome.status == "SUCCEEDED", outcome.error
    assert outcome.resources["snapshot"]["image_name"] == notice["image_name"]
    assert [builder["name"] for builder in engine.inventory()["image_builders"]] == []
