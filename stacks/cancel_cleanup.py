"""A stopped run cleans up after itself: one rule per workflow on the default event bus.

The rules (stacks/cancel_rules.py, shared with the local engine) start the stopped run's
own state machine with the aborted execution; the run API only stops executions. A stop
in the console is cleaned up the same way. EventBridge retries a start that fails and
then dead-letters the event, as for the other triggers.
"""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as event_targets
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from stacks.cancel_rules import cancel_rule
from stacks.rollout_chain import with_event_fields


class CancelCleanups(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        machines: Mapping[str, sfn.IStateMachine],
        dead_letters: sqs.IQueue,
    ) -> None:
        super().__init__(scope, construct_id)
        for workflow, machine in machines.items():
            rule = cancel_rule(workflow, machine.state_machine_arn)
            pattern = rule.pattern
            events.Rule(
                self,
                rule.rule_id,
                description=rule.description,
                event_pattern=events.EventPattern(
                    source=pattern["source"], detail_type=pattern["detail-type"], detail=pattern["detail"]
                ),
                targets=[
                    event_targets.SfnStateMachine(
                        machine,
                        input=events.RuleTargetInput.from_object(with_event_fields(rule.input)),
                        dead_letter_queue=dead_letters,
                        retry_attempts=3,
                    )
                ],
            )
