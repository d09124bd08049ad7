"""A handful of fault-matrix cases: every run ends, is recorded, and leaves nothing behind."""

from __future__ import annotations

import pytest

from benchmarks.fault_matrix import Case, run_case

CASES = [
    Case(
        "DescribeImages ThrottlingException once",
        [{"operation": "DescribeImages", "error": "ThrottlingException"}],
    ),
    Case(
        "CreateImageBuilder InternalFailure always",
        [{"operation": "CreateImageBuilder", "error": "InternalFailure", "times": None}],
    ),
    Case("image_builder ends FAILED", [{"resource": "image_builder"}]),
    Case("export_task ends FAILED", [{"resource": "export_task"}]),
]


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES, ids=[case.label for case in CASES])
def test_fault_ends_recorded_and_clean(case: Case) -> None:
    result = run_case(case)

    assert result.status in {"SUCCEEDED", "FAILED"}
    assert result.recorded
    assert result.builders_left == 0
    assert result.slots_in_use == 0
