"""What the image pipeline's state machine carries between tasks for each phase of a run.

Every wait-loop phase is a `WaitProgress` (functions.core.waits).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from functions.core.model import Model
from functions.core.waits import WaitProgress

PhaseName = Literal[
    "source", "builder_slot", "builder", "snapshot", "distribute", "export", "distribute_ami", "cleanup"
]


class SourcePhase(WaitProgress):
    image_name: str
    image_arn: str | None = None
    state: str | None = None


class SlotPhase(WaitProgress):
    pass


class BuilderPhase(WaitProgress):
    name: str
    arn: str | None = None
    state: str | None = None


class SnapshotPhase(WaitProgress):
    image_name: str
    mode: Literal["agent", "manual"]
    image_arn: str | None = None
    state: str | None = None
    builder_state: str | None = None
    agent_reported: bool = False  # the agent wrote this run's result (its scripts ran)


class Copy(Model):
    """The new image's copy in one region, as its last check saw it."""

    region: str
    state: str | None = None


class DistributePhase(WaitProgress):
    """One wait for every copy: the step is done when each is AVAILABLE (and then shared)."""

    image_name: str
    copies: list[Copy] = Field(default_factory=list)
    shared_with: list[str] = Field(default_factory=list)


class ExportPhase(WaitProgress):
    ami_name: str | None = None
    task_id: str | None = None
    ami_id: str | None = None
    state: str | None = None


class AmiCopy(Model):
    """The exported AMI's copy in one region, as its last check saw it."""

    region: str
    ami_id: str | None = None
    state: str | None = None


class AmiDistributePhase(WaitProgress):
    """One wait for every copy of the exported AMI: done when each is available (and then shared)."""

    ami_id: str | None = None
    copies: list[AmiCopy] = Field(default_factory=list)
    shared_with: list[str] = Field(default_factory=list)


class CleanupPhase(WaitProgress):
    builder_state: str | None = None
    imported_image_state: str | None = None
    slot_released: bool = False
    actions: list[str] = Field(default_factory=list)  # what cleanup did, in order
