"""The events the image pipeline's state machine sends each task (the `Payload` of its Task state)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from functions.core.execution import Execution
from functions.core.model import Model
from functions.workflows.image_pipeline.phases import (
    AmiDistributePhase,
    BuilderPhase,
    CleanupPhase,
    DistributePhase,
    ExportPhase,
    SlotPhase,
    SnapshotPhase,
    SourcePhase,
)
from functions.workflows.image_pipeline.plan import Plan


class ValidateEvent(Model):
    request: Any  # the execution input, validated by the task itself
    execution: Execution


class PlanEvent(Model):
    plan: Plan


class SourceEvent(PlanEvent):
    source: SourcePhase


class SlotEvent(PlanEvent):
    builder_slot: SlotPhase


class BuilderEvent(PlanEvent):
    builder: BuilderPhase


class SnapshotEvent(PlanEvent):
    snapshot: SnapshotPhase


class SnapshotWaitEvent(SnapshotEvent):
    token: str = Field(description="the task token of the wait ($$.Task.Token)")


class DistributeEvent(PlanEvent):
    distribute: DistributePhase


class ExportEvent(PlanEvent):
    export: ExportPhase


class AmiDistributeEvent(PlanEvent):
    distribute_ami: AmiDistributePhase


class AmiShareEvent(AmiDistributeEvent):
    export: ExportPhase


class ExportWaitEvent(ExportEvent):
    token: str = Field(description="the task token of the wait ($$.Task.Token)")


class CleanupEvent(PlanEvent):
    cleanup: CleanupPhase


class SuccessEvent(PlanEvent):
    document: dict[str, Any] = Field(description="the whole state: phases and flow")
