"""The rules that start a stopped run's cleanup, as plain data.

Step Functions sends "Step Functions Execution Status Change" to the account's default
event bus whenever an execution of a Standard workflow changes status (delivery: best
effort). One rule per workflow matches its state machine's ABORTED executions and starts
that same state machine with the aborted execution (`functions.core.cancellation`): its ARN,
name, input, start and stop dates and the stop's cause. The workflow's first state sends
such an input to its cleanup path. The stack (stacks/cancel_cleanup.py) deploys these
rules and the local engine (image_factory/local_engine/event_rules.py) puts the same ones
on its default bus, so a cancel behaves alike in both places. Nothing here needs CDK.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from functions.core.cancellation import ABORTED_KEY
from stacks.rollout_rules import EventPath

SOURCE = "aws.states"
DETAIL_TYPE = "Step Functions Execution Status Change"
DEFAULT_BUS = "default"  # where Step Functions sends its events


@dataclass(frozen=True)
class CancelRule:
    """One workflow's rule: its state machine's ABORTED executions start their own cleanup."""

    rule_id: str
    description: str
    workflow: str
    pattern: dict[str, Any]
    input: dict[str, Any]  # an EventPath value is filled in from the matching event


def aborted_pattern(state_machine_arn: str) -> dict[str, Any]:
    return {
        "source": [SOURCE],
        "detail-type": [DETAIL_TYPE],
        "detail": {"status": ["ABORTED"], "stateMachineArn": [state_machine_arn]},
    }


# The cleanup execution's input: the AbortedExecution model's fields, from the event's detail.
CLEANUP_INPUT: dict[str, Any] = {
    ABORTED_KEY: {
        "arn": EventPath("$.detail.executionArn"),
        "name": EventPath("$.detail.name"),
        "input": EventPath("$.detail.input"),
        "start_date": EventPath("$.detail.startDate"),
        "stop_date": EventPath("$.detail.stopDate"),
        "cause": EventPath("$.detail.cause"),
    }
}


def cancel_rule(workflow: str, state_machine_arn: str) -> CancelRule:
    return CancelRule(
        rule_id="".join(part.capitalize() for part in workflow.split("-")) + "Stopped",
        description=f"Cleans up after a stopped {workflow} run, in the {workflow} state machine",
        workflow=workflow,
        pattern=aborted_pattern(state_machine_arn),
        input=CLEANUP_INPUT,
    )
