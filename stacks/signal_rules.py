"""The EventBridge rules that carry a signal AWS sends to the function resuming the waits on it.

One list for the stack (stacks/signals.py) and the local engine, which puts the same rules on
its default bus (image_factory/local_engine/aws_signals.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from agent_contract.documents import RESULT_FILE
from functions.workflows import AGENT_RESULT_FUNCTION, AMI_STATE_FUNCTION, LambdaTask


@dataclass(frozen=True)
class SignalRule:
    name: str  # the rule's construct id, and its name on the local bus
    pattern: dict[str, Any]
    function: LambdaTask  # the function the rule invokes


def signal_rules(jobs_bucket: str) -> tuple[SignalRule, ...]:
    """The rules of a stage whose builder agents write to `jobs_bucket`."""
    return (
        # EC2 sends it to the default bus when an AMI (an export's, among others) is available or failed.
        SignalRule(
            "AmiStateChange",
            {
                "source": ["aws.ec2"],
                "detail-type": ["EC2 AMI State Change"],
                "detail": {"State": ["available", "failed"]},
            },
            AMI_STATE_FUNCTION,
        ),
        # S3 sends it for every object written to a bucket with EventBridge notifications on: here,
        # an agent's result (https://docs.aws.amazon.com/AmazonS3/latest/userguide/EventBridge.html).
        SignalRule(
            "AgentResultWritten",
            {
                "source": ["aws.s3"],
                "detail-type": ["Object Created"],
                "detail": {
                    "bucket": {"name": [jobs_bucket]},
                    "object": {"key": [{"suffix": f"/{RESULT_FILE}"}]},
                },
            },
            AGENT_RESULT_FUNCTION,
        ),
    )
