"""The fault matrix's JSON document and summary, on results made by hand."""

from __future__ import annotations

from benchmarks.fault_cases import Case
from benchmarks.fault_expectations import Expected
from benchmarks.fault_matrix import render, summary
from benchmarks.fault_runs import CaseResult, Observed

EXPECTED = Expected("SUCCEEDED", None, "state-machine")
CASE = Case("retention", "DescribeFleets ThrottlingException 3 times", [], EXPECTED, "DescribeFleets", 3)


def result(observed: Observed, *, slots_held: int = 0, builders_left: list[str] | None = None) -> CaseResult:
    return CaseResult(CASE, observed, True, builders_left or [], False, slots_held)


def test_the_document_names_both_outcomes_and_who_retried() -> None:
    document = result(Observed("SUCCEEDED", None, "state-machine")).to_document()

    assert document == {
        "workflow": "retention",
        "label": "DescribeFleets ThrottlingException 3 times",
        "expected": {"status": "SUCCEEDED", "error": None},
        "observed": {"status": "SUCCEEDED", "error": None},
        "record_matches": True,
        "builders_left": [],
        "builders_left_recorded": False,
        "slots_held": 0,
        "retried_by": "state-machine",
        "expected_retried_by": "state-machine",
        "pass": True,
    }


def test_nobody_retrying_reads_as_null() -> None:
    document = result(Observed("FAILED", "AppStreamRequestRejected", "none")).to_document()

    assert document["retried_by"] is None


def test_a_run_that_differs_in_any_way_from_its_derivation_fails() -> None:
    assert not result(Observed("FAILED", "AppStreamThrottled", "state-machine")).passed
    assert not result(Observed("SUCCEEDED", None, "botocore")).passed  # botocore absorbed it instead
    assert not result(Observed("SUCCEEDED", None, "state-machine"), slots_held=1).passed
    assert not result(Observed("SUCCEEDED", None, "state-machine"), builders_left=["b (STOPPED)"]).passed


def test_the_summary_counts_and_names_the_failed_cases() -> None:
    results = [result(Observed("SUCCEEDED", None, "state-machine")), result(Observed("STUCK", None, "none"))]

    line = summary(results, 12.0)

    assert line.startswith("**1/2 cases pass** over 1 workflows in 12 s")
    assert "Failed: retention: DescribeFleets ThrottlingException 3 times." in line
    assert "| retention | DescribeFleets ThrottlingException 3 times | SUCCEEDED | STUCK |" in render(
        results, 12.0
    )
