"""The image pipeline chained into fleet rollout (stacks/rollout_chain.py), on the local engine.

The deployed chain is an EventBridge rule on the run event bus; locally the rule's pattern
routes the pipeline's real run events to a queue, and the rollout request is built from the
event the way the rule's input transformer builds it.
"""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from functions.workflows.fleet_rollout.request import FleetRolloutRequest, parse_request
from image_factory.local_engine.resources import EVENT_BUS
from stacks.rollout_chain import new_image_path, run_succeeded_pattern
from tests.engine.pipeline_support import fast_engine, fast_request

pytestmark = pytest.mark.slow


def test_a_succeeded_run_names_its_new_image_where_the_chain_reads_it() -> None:
    request = fast_request("from-existing-image")
    with fast_engine() as engine:
        events = boto3.client("events", region_name=engine.region)
        sqs = boto3.client("sqs", region_name=engine.region)
        queue = sqs.create_queue(QueueName="chained-rollouts")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        events.put_rule(
            Name="rollout-after-pipeline",
            EventBusName=EVENT_BUS,
            EventPattern=json.dumps(run_succeeded_pattern(request["pipeline"])),
        )
        events.put_targets(
            Rule="rollout-after-pipeline", EventBusName=EVENT_BUS, Targets=[{"Id": "queue", "Arn": queue_arn}]
        )
        outcome = engine.run(request)
        messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]

    assert outcome.status == "SUCCEEDED", outcome.error
    assert len(messages) == 1  # only the run's SUCCEEDED change matches, not RUNNING
    event: dict[str, Any] = json.loads(messages[0]["Body"])
    found: Any = event
    for key in new_image_path().removeprefix("$.").split("."):  # a plain path, as EventBridge reads it
        found = found[key]
    assert found == outcome.resources["snapshot"]["image_name"]
    chained = parse_request({"name": "after-build", "image_name": found, "fleets": [{"name": "test"}]})
    assert isinstance(chained, FleetRolloutRequest)
