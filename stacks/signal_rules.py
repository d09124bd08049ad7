"""The EventBridge rules that carry a signal AWS sends to the function resuming the waits on it.

One list for the stack (stacks/workflow.py) and the local engine, which puts the same rules on
its default bus (image_factory/local_engine/aws_signals.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from functions.workflows import AMI_STATE_FUNCTION, LambdaTask


@dataclass(frozen=True)
class SignalRule:
    name: str  # the rule's construct id, and its name on the local bus
    pattern: dict[str, Any]
    function: LambdaTask  # the function the rule invokes


SIGNAL_RULES: tuple[SignalRule, ...] = (
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
)
