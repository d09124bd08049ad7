"""A handful of fault-matrix cases: every run ends, is recorded, and leaves nothing behind."""

from __future__ import annotations

import pytest

from benchmarks.fault_matrix import CRASHES, Case, run_case

CASES = [
    Case(
        "DescribeImages ThrottlingException once",
        [{"operation": "DescribeImages", "error": "ThrottlingException"}],
    ),
    Case(
        "CreateImageBuilder InternalFailure always",
        [{"operation": "CreateImageBuilder", "error": "InternalFailure", "times": None}],
    ),
    Case(
        "DescribeImageBuilders InternalFailure always",
        [{"operation": "DescribeImageBuilders", "error": "InternalFailure", "times": None}],
    ),
    Case("image_builder ends FAILED", [{"resource": "image_builder"}]),
    Case("export_task ends FAILED", [{"resource": "export_task"}]),
]
BUILDER_CRASH = next(crash for crash in CRASHES if crash.creation == "CreateImageBuilder")


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES, ids=[case.label for case in CASES])
def test_fault_ends_recorded_and_clean(case: Case) -> None:
    result = run_case(case)

    assert result.status in {"SUCCEEDED", "FAILED"}
    assert result.recorded
    assert result.builders_left == []
    assert result.slots_in_use == 0


@pytest.mark.slow
def test_a_task_that_crashes_after_creating_the_builder_is_replayed_and_adopts_it() -> None:
    result = run_case(Case("task crashes after CreateImageBuilder succeeded", [], BUILDER_CRASH))

    assert result.crashed
    assert result.status == "SUCCEEDED" and result.recorded
    assert result.created == 1  # the replay adopted the builder: no twin
    assert result.builders_left == [] and result.slots_in_use == 0
    assert result.verdict == "pass, adopted"
