"""What `status` and `watch` print for a run the run API answers (no API needed: run documents)."""

from __future__ import annotations

import re
from typing import Any

from image_factory.remote.run_view import describe_run, describe_step, outputs

STARTED = "2026-12-02T13:00:00Z"


def run(steps: list[dict[str, Any]], **fields: Any) -> dict[str, Any]:
    return {
        "run_id": "r-1",
        "status": "RUNNING",
        "pipeline": "p",
        "started_at": STARTED,
        "steps": steps,
    } | fields


def test_a_failed_step_names_its_error_and_not_the_state_it_last_saw() -> None:
    error = {"code": "ExportFailed", "message": "export: the task FAILED"}
    failed = {"step": "export", "status": "FAILED", "polls": 3, "last_state": "EXPORTING", "error": error}
    line = describe_step(failed)
    assert line == "export        FAILED     3 checks: ExportFailed: export: the task FAILED"
    assert (
        describe_step({**failed, "polls": 0})
        == "export        FAILED     ExportFailed: export: the task FAILED"
    )
    assert not re.search(r"FAILED\s+:", describe_step({**failed, "polls": 0}))


def test_counts_and_durations_read_as_everywhere_else() -> None:
    done = {"step": "builder_slot", "status": "SUCCEEDED", "polls": 1, "duration_seconds": 3616}
    assert describe_step(done) == "builder_slot  SUCCEEDED  1 check, in 1h 00m"


def test_a_wait_says_what_it_waits_for_and_when_it_looks_again_counted_from_the_start() -> None:
    waiting = {
        "step": "builder",
        "status": "RUNNING",
        "polls": 2,
        "last_state": "PENDING",
        "next_check_at": "2026-12-02T13:40:00Z",
    }
    line = describe_step(waiting, origin=1796216400.0)  # 13:00:00Z
    assert line.endswith("waiting for the image builder to be RUNNING, next check at +0:40:00")
    assert "13:40" not in line
    text = describe_run(run([waiting]))
    assert "times below count from the start" in text and "next check at +0:40:00" in text
    soon = describe_step({**waiting, "next_check_in_seconds": 270.0}, origin=1796216400.0)
    assert soon.endswith("next check in 4m 30s (at +0:40:00)")


def test_the_outputs_show_in_the_human_view() -> None:
    steps = [
        {
            "step": "builder",
            "status": "SUCCEEDED",
            "resource": {"builder_name": "b-1", "root_volume_gb": 300},
        },
        {"step": "snapshot", "status": "RUNNING", "resource": {"image_name": "img-1", "mode": "manual"}},
    ]
    resources = {"export": {"ami_name": "img-1", "ami_id": "ami-1"}}
    assert outputs(run(steps, resources=resources)) == [
        "new image: img-1",
        "root volume: 300 GB",
        "AMI: ami-1 (img-1)",
        "your turn: connect to image builder b-1 and create image img-1 from it (Image Assistant)",
    ]


def test_lifecycle_results_show_in_the_human_view() -> None:
    resources = {
        "skipped": ["app-one: unchanged since AMI ami-1"],
        "retention": {"dry_run": True, "decisions": ["would delete image web-old: older than the newest 1"]},
        "chained_export": {"ami_id": "ami-2", "ami_name": "office-export"},
    }
    assert outputs(run([], workflow="managed-update", resources=resources)) == [
        "AMI: ami-2 (office-export)",
        "skipped: app-one: unchanged since AMI ami-1",
        "decided: would delete image web-old: older than the newest 1",
    ]


def test_what_a_run_left_behind_is_named_with_its_error() -> None:
    note = "left imported image 'i' FAILED: remove it with `aws appstream delete-image --name i`"
    steps = [
        {
            "step": "cleanup",
            "status": "SUCCEEDED",
            "resource": {"actions": ["released the builder slot", note]},
        }
    ]
    error = {"step": "import", "code": "ImageImportFailed", "message": "import: FAILED"}
    text = describe_run(run(steps, status="FAILED", error=error))
    assert "  left behind: imported image 'i' FAILED: remove it with" in text
    assert "  error in import: ImageImportFailed: import: FAILED" in text
