"""The pipeline end to end under every reading of what the sources leave open (tests/readings.py).

The representative run imports an AMI, builds, snapshots and exports; its export task crashes
right after CreateExportImageTask succeeded, so the replay must find that task again without a
filtered listing.
"""

from __future__ import annotations

import pytest

from benchmarks.fault_runs import injected
from benchmarks.fault_subjects import CRASHES
from tests.engine.pipeline_support import fast_engine, fast_request, fast_scenario, run_record
from tests.readings import every_reading

pytestmark = pytest.mark.slow
EXPORT_CRASH = next(crash for crash in CRASHES if crash.creation == "CreateExportImageTask")


@every_reading()
def test_a_run_whose_export_crashed_after_its_create_ends_with_one_export(
    assumptions: dict[str, str],
) -> None:
    with fast_engine(fast_scenario(assumptions=assumptions)) as engine, injected(EXPORT_CRASH) as injector:
        outcome = engine.run(fast_request("reference"))
        inventory = engine.inventory()
        record = run_record(engine, outcome.run_id)

    assert injector is not None and injector.crashed
    assert outcome.status == "SUCCEEDED", outcome.error
    assert record["status"] == "SUCCEEDED"
    assert injector.created == 1
    assert [(task["state"], task["ami_id"]) for task in inventory["export_tasks"]] == [
        ("COMPLETED", outcome.resources["ami_id"])
    ]
    assert inventory["image_builders"] == []
    assert {image["state"] for image in inventory["images"]} == {"AVAILABLE"}
