"""What retention decides for each image, exported AMI and image builder, and what deleting it did."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from functions.core import inventory, names
from functions.core.model import Model

Kind = Literal["image", "ami", "builder"]
Outcome = Literal["pending", "deleted", "kept", "failed"]


class Decision(Model):
    kind: Kind
    name: str  # image name, AMI id or builder name
    region: str | None = None  # an image's copy in a distribution region; None: the stack's region
    pipeline: str | None = None
    created: str | None = None
    delete: bool
    reason: str
    outcome: Outcome | None = None  # after deleting: what happened
    detail: str | None = None
    snapshots: list[str] = Field(default_factory=list)  # an AMI's EBS snapshots, deleted with it
    ami_name: str | None = None  # an AMI's name: its copies in the distribution regions have it too

    @property
    def label(self) -> str:
        return f"{self.name} in {self.region}" if self.region else self.name


def ami_decision(ami: dict[str, Any], *, delete: bool, reason: str, region: str | None = None) -> Decision:
    """The decision on an exported AMI (or its copy in `region`), as DescribeImages lists it."""
    return Decision(
        kind="ami",
        name=str(ami["ImageId"]),
        region=region,
        ami_name=ami.get("Name"),
        pipeline=inventory.tag_value(ami, names.TAG_PIPELINE),
        created=ami.get("CreationDate"),
        delete=delete,
        reason=reason,
        snapshots=inventory.snapshots_of(ami),
    )
