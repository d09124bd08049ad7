"""The events the export backup state machine sends its tasks."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from functions.core.events import LifecyclePlanEvent
from functions.workflows.export_backup.backups import BackupImage, ImageExport, Selection


class BackupImageEvent(LifecyclePlanEvent):
    image: BackupImage


class BackupExportEvent(LifecyclePlanEvent):
    export: ImageExport


class BackupExportWaitEvent(BackupExportEvent):
    token: str = Field(description="the task token of the wait ($$.Task.Token)")


class BackupReportEvent(LifecyclePlanEvent):
    selection: Selection
    exports: list[dict[str, Any]]
