"""The events lifecycle state machines send their tasks (the `Payload` of each Task state)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from functions.lifecycle.plan import LifecyclePlan
from functions.plan import Execution
from functions.services.export_backups import BackupImage, ImageExport, Selection
from functions.services.managed_updates import UpdateCleanup, UpdatePhase


class LifecycleValidateEvent(BaseModel):
    workflow: str
    request: Any  # the execution input, validated by the task itself
    execution: Execution


class LifecyclePlanEvent(BaseModel):
    plan: LifecyclePlan


class LifecycleSuccessEvent(LifecyclePlanEvent):
    result: dict[str, Any] = Field(default_factory=dict)


class BackupImageEvent(LifecyclePlanEvent):
    image: BackupImage


class BackupExportEvent(LifecyclePlanEvent):
    export: ImageExport


class BackupReportEvent(LifecyclePlanEvent):
    selection: Selection
    exports: list[dict[str, Any]]


class UpdateEvent(LifecyclePlanEvent):
    update: UpdatePhase


class UpdateCleanupEvent(LifecyclePlanEvent):
    update: UpdatePhase | None = None
    cleanup: UpdateCleanup = Field(default_factory=UpdateCleanup)
    error: dict[str, Any] | None = None  # set when the run failed: cleanup then deletes what it made
