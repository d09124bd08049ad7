"""Fleet rollouts chained after the runs that make images, by configuration.

A rollout job with `after_pipeline` rolls out the image of every SUCCEEDED run of that
image pipeline; one with `after_managed_update` rolls out the image every run of that
managed update job makes. One EventBridge rule per chained job (stacks/rollout_rules.py,
shared with the local engine) starts the fleet rollout with the job's stored request and
that image.

The chain is loose on purpose: the run that made the image has succeeded (the image is
good and kept) whatever the rollout then meets, the rollout has its own run record, and
a rollout that waits days for a maintenance window holds no run of the other workflow
open. A managed update that finds no update succeeds without an update phase, so its
event carries no `resources.update` and the rule does not match it.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as event_targets
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from stacks.config import DeploymentConfig
from stacks.rollout_rules import (
    UPDATED_IMAGE_PATH,
    ChainRule,
    EventPath,
    chain_rules,
    new_image_path,
    rollout_input,
    run_succeeded_pattern,
    update_made_image_pattern,
)

__all__ = [
    "UPDATED_IMAGE_PATH",
    "RolloutChains",
    "new_image_path",
    "rollout_input",
    "run_succeeded_pattern",
    "update_made_image_pattern",
]


def with_event_fields(value: Any) -> Any:
    """The rule's input for CDK: each event path becomes an `EventField` (an input transformer path)."""
    if isinstance(value, EventPath):
        return events.EventField.from_path(value.path)
    if isinstance(value, dict):
        return {key: with_event_fields(item) for key, item in value.items()}
    if isinstance(value, list):
        return [with_event_fields(item) for item in value]
    return value


class RolloutChains(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: DeploymentConfig,
        rollout: sfn.IStateMachine,
        bus: events.IEventBus,
        dead_letters: sqs.IQueue,
    ) -> None:
        super().__init__(scope, construct_id)
        for rule in chain_rules(config):
            self._chain(rule, rollout, bus, dead_letters)

    def _chain(
        self, rule: ChainRule, rollout: sfn.IStateMachine, bus: events.IEventBus, dead_letters: sqs.IQueue
    ) -> None:
        pattern = rule.pattern
        events.Rule(
            self,
            rule.rule_id,
            event_bus=bus,
            description=rule.description,
            event_pattern=events.EventPattern(
                source=pattern["source"], detail_type=pattern["detail-type"], detail=pattern["detail"]
            ),
            targets=[
                event_targets.SfnStateMachine(
                    rollout,
                    input=events.RuleTargetInput.from_object(with_event_fields(rule.input)),
                    dead_letter_queue=dead_letters,
                    retry_attempts=3,
                )
            ],
        )
