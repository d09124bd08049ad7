"""A lifecycle task whose Lambda dies right after its create call succeeded is replayed, and the
replay adopts what the first attempt made: one updated image, one export per image, no twin."""

from __future__ import annotations

import pytest

from benchmarks.fault_runs import injected
from benchmarks.fault_subjects import Crash
from tests.lifecycle.support import backup_request, engine, scenario, update_request
from tests.readings import every_reading

pytestmark = pytest.mark.slow

UPDATE_CRASH = Crash("CreateUpdatedImage", "functions.core.appstream", "call", "UpdateCreateImage")
BACKUP_CRASH = Crash("CreateExportImageTask", "functions.core.appstream", "call", "BackupExportImage")


def test_a_managed_update_that_crashed_after_creating_its_image_adopts_it() -> None:
    with (
        engine("managed-update") as local,
        injected(UPDATE_CRASH) as injector,
    ):
        outcome = local.run(update_request())
        images = [image["name"] for image in local.inventory()["images"]]

    assert injector is not None and injector.crashed
    assert outcome.status == "SUCCEEDED", outcome.error
    assert injector.created == 1
    assert len([name for name in images if name.startswith("app-one-updates-")]) == 1


@every_reading()
def test_an_export_backup_that_crashed_after_starting_an_export_adopts_it(
    assumptions: dict[str, str],
) -> None:
    with (
        engine("export-backup", scenario(assumptions=assumptions)) as local,
        injected(BACKUP_CRASH) as injector,
    ):
        outcome = local.run(backup_request(images={"image_name": "app-one"}))
        exports = local.inventory()["export_tasks"]

    assert injector is not None and injector.crashed
    assert outcome.status == "SUCCEEDED", outcome.error
    assert injector.created == 1
    assert len(exports) == 1
