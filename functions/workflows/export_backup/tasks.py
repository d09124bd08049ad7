"""The export backup's Task states (statemachines/export_backup.asl.json): one function each, named
after its state, calling one service. ValidateRequest, RecordRun, RecordSuccess and RecordFailure are
every lifecycle workflow's (`functions.workflows.lifecycle`)."""

from __future__ import annotations

from typing import Any

from functions.core.context import get_context
from functions.core.events import LifecyclePlanEvent
from functions.core.task import task
from functions.workflows.export_backup import backups
from functions.workflows.export_backup.backups import ImageExport, Selection
from functions.workflows.export_backup.events import (
    BackupExportEvent,
    BackupExportWaitEvent,
    BackupImageEvent,
    BackupReportEvent,
)


@task(LifecyclePlanEvent)
def select_images(event: LifecyclePlanEvent) -> Selection:
    """The images this backup exports, and those it skips (and why)."""
    return backups.select_images(get_context(), event.plan)


@task(BackupImageEvent, keys={"image": "image.image_name"})
def export_image(event: BackupImageEvent) -> ImageExport:
    """CreateExportImageTask for one selected image (adopted on a retry)."""
    return backups.start_export(get_context(), event.plan, event.image)


@task(BackupExportWaitEvent, keys={"image": "export.image.image_name"})
def wait_for_export(event: BackupExportWaitEvent) -> None:
    """Wait for the AMI's state change, at most as long as CheckExport planned."""
    backups.wait_for_export(get_context(), event.export, event.token)


@task(BackupExportEvent, keys={"image": "export.image.image_name"})
def check_export(event: BackupExportEvent) -> ImageExport:
    """Has one image's export COMPLETED? (then it is recorded as that image's backup)"""
    return backups.check_export(get_context(), event.plan, event.export)


@task(BackupReportEvent)
def report(event: BackupReportEvent) -> dict[str, Any]:
    """The backup's result, or ExportFailed naming every image that was not exported."""
    return backups.report(event.selection, event.exports)
