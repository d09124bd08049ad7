"""The events other AWS services send about what the emulated account does, as EventBridge carries them.

An AppStream export makes an EC2 AMI, and EC2 sends "EC2 AMI State Change" to the default event
bus when the AMI becomes available or fails, "on a best effort basis"
(https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/monitor-ami-events.html). The account keeps
the events in an outbox; whoever hosts the emulator takes them (`Emulator.take_events`) and puts
them on its bus. Best effort is emulated by the scenario's `assumptions.aws_events`: delivered at
once, dropped, or delayed by `DELAY_SECONDS` (docs/emulator-fidelity.md).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from .timeline import timestamp

AMI_STATE_CHANGE = "EC2 AMI State Change"
EC2_SOURCE = "aws.ec2"
# "delayed": S3 and EC2 say events usually arrive within seconds, sometimes a minute or longer.
DELAY_SECONDS = 90.0


@dataclass(frozen=True)
class AwsEvent:
    """One event as PutEvents takes it (Source, DetailType, Detail, Resources), and when it happened."""

    source: str
    detail_type: str
    detail: dict[str, Any]
    resources: list[str] = field(default_factory=list)
    at: float = 0.0

    def entry(self, bus: str = "default") -> dict[str, Any]:
        return {
            "Source": self.source,
            "DetailType": self.detail_type,
            "Detail": json.dumps(self.detail),
            "Resources": list(self.resources),
            "Time": timestamp(self.at),
            "EventBusName": bus,
        }


def ami_state_change(region: str, ami_id: str, state: str, at: float, error: str = "") -> AwsEvent:
    """EC2's event for an AMI that became `available` or `failed` (the documented detail fields)."""
    return AwsEvent(
        EC2_SOURCE,
        AMI_STATE_CHANGE,
        {"RequestId": "", "ImageId": ami_id, "State": state, "ErrorMessage": error},
        [f"arn:aws:ec2:{region}::image/{ami_id}"],
        at,
    )
