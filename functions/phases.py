"""What the state machine carries between tasks for each phase of a run.

Every wait-loop phase shares `WaitProgress`: when it started (on the functions' clock),
how many checks ran, the next wait (`wait_seconds`, read by the Wait state through
`SecondsPath`) and whether it is `done` (read by the Choice state).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

PhaseName = Literal["import", "builder_slot", "builder", "snapshot", "export", "cleanup"]


class WaitProgress(BaseModel):
    model_config = ConfigDict(extra="ignore")

    started_at: float | None = None  # epoch seconds of the phase's first task
    polls: int = 0
    wait_seconds: int = 0
    done: bool = False
    expected_seconds: float | None = None
    ceiling_seconds: float | None = None
    guessed: bool = False  # the expected duration is a default (planner.Timing.guessed)


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


class ExportPhase(WaitProgress):
    ami_name: str | None = None
    task_id: str | None = None
    ami_id: str | None = None
    state: str | None = None


class CleanupPhase(WaitProgress):
    builder_state: str | None = None
    imported_image_state: str | None = None
    slot_released: bool = False
    actions: list[str] = Field(default_factory=list)  # what cleanup did, in order
