"""A managed update chained into fleet rollout (`after_managed_update`, stacks/rollout_chain.py), locally.

The deployed chain is an EventBridge rule on the run event bus. Here the rule the stack
synthesizes for the example's chained job (its pattern and input transformer, read from the
template) is put on the local bus with a queue as its target, so what the rule hands on can
be read (tests/lifecycle/test_chained_rollouts_local.py runs the chain itself). The queue
receives the real run events the managed update runs publish, the transformer fills in the
rollout's input from the one that matched, and a fleet rollout run then starts with exactly
that input in an account holding the new image.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import boto3
import pytest

from functions.workflows import get_workflow
from image_factory.local_engine.resources import EVENT_BUS
from stacks.config import DeploymentConfig, load_config
from tests.lifecycle.fleet_support import engine_for, fleet, make_fleet, make_images, run_with_output
from tests.lifecycle.support import engine, output, scenario, update_request

pytestmark = pytest.mark.slow

EXAMPLE = Path(__file__).resolve().parents[2] / "stacks" / "pipelines.example.yaml"
ROLLOUT_JOB = "office-pilot-rollout"  # the example's rollout job chained after a managed update job


def synthesized_rule(config: DeploymentConfig, job_name: str) -> dict[str, Any]:
    """The properties of the rule the stack deploys for rollout job `job_name` (the chains alone)."""
    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    from aws_cdk import App, Stack
    from aws_cdk import aws_events as events
    from aws_cdk import aws_sqs as sqs
    from aws_cdk import aws_stepfunctions as sfn
    from aws_cdk.assertions import Template

    from stacks.rollout_chain import RolloutChains

    stack = Stack(App(), "Chains")
    RolloutChains(
        stack,
        "RolloutChains",
        config=config,
        rollout=sfn.StateMachine.from_state_machine_arn(
            stack, "Rollout", "arn:aws:states:us-east-1:123456789012:stateMachine:rollout"
        ),
        bus=events.EventBus.from_event_bus_name(stack, "Bus", "runs"),
        dead_letters=sqs.Queue.from_queue_arn(stack, "DeadLetters", "arn:aws:sqs:us-east-1:123456789012:dlq"),
    )
    rules = Template.from_stack(stack).find_resources("AWS::Events::Rule")
    found = [rule["Properties"] for rule in rules.values() if job_name in rule["Properties"]["Description"]]
    assert len(found) == 1, f"one rule starts rollout job {job_name}"
    return dict(found[0])


def transformed(transformer: dict[str, Any], event: dict[str, Any]) -> dict[str, Any]:
    """The target input EventBridge makes of `event`: each placeholder outside quotes takes the value
    at its path as JSON (moto's transformer leaves strings unquoted there, so the test fills it in)."""
    template = str(transformer["InputTemplate"])
    for key, path in transformer["InputPathsMap"].items():
        value: Any = event
        for part in str(path).removeprefix("$.").split("."):
            value = value[part]
        template = template.replace(f"<{key}>", json.dumps(value))
    assert not re.search(r"<[\w.-]+>", template), "every placeholder is filled"
    return dict(json.loads(template))


def test_only_an_update_that_made_an_image_starts_the_chained_rollout_with_that_image() -> None:
    config = load_config(EXAMPLE)
    assert config.lifecycle is not None
    job = next(job for job in config.lifecycle.fleet_rollouts if job.name == ROLLOUT_JOB)
    update_job = str(job.after_managed_update)
    rule = synthesized_rule(config, ROLLOUT_JOB)
    faults = [{"resource": "image", "name": "broken-*", "reason": "patching failed"}]

    with engine("managed-update", scenario(faults=faults)) as local:
        events = boto3.client("events", region_name=local.region)
        sqs = boto3.client("sqs", region_name=local.region)
        queue = sqs.create_queue(QueueName="chained-rollouts")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        events.put_rule(
            Name="rollout-after-update", EventBusName=EVENT_BUS, EventPattern=json.dumps(rule["EventPattern"])
        )
        events.put_targets(
            Rule="rollout-after-update", EventBusName=EVENT_BUS, Targets=[{"Id": "queue", "Arn": queue_arn}]
        )
        made = local.run(update_request(name=update_job, image_name="app-one"))
        new_image = output(local.executions[0])["update"]["image_name"]
        no_update = local.run(update_request(name=update_job, image_name="kiosk"))
        failed = local.run(
            update_request(name=update_job, image_name="app-two", new_image_name="broken-{run}")
        )
        messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", [])

    assert [made.status, no_update.status, failed.status] == ["SUCCEEDED", "SUCCEEDED", "FAILED"]
    assert len(messages) == 1  # the run that made an image; not the one without an update, not the failure
    event = json.loads(messages[0]["Body"])
    assert event["detail"]["run_id"] == made.run_id
    rollout_request = transformed(rule["Targets"][0]["InputTransformer"], event)
    assert rollout_request == {**job.request, "image_name": new_image}

    # The rollout that input starts, in an account holding the new image and the job's fleet.
    with engine_for(get_workflow("fleet-rollout").definition) as local:
        make_images(local, "office-desktop-current", new_image)
        for target in job.request["fleets"]:
            make_fleet(local, target["name"], "office-desktop-current")
        outcome, result = run_with_output(local, rollout_request)
        pilot = fleet(local, job.request["fleets"][0]["name"])

    assert outcome.status == "SUCCEEDED", outcome.error
    assert result is not None and [item["outcome"] for item in result["fleets"]] == ["UPDATED"]
    assert (pilot["State"], pilot["ImageName"]) == ("RUNNING", new_image)
