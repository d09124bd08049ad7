"""A few fault-matrix cases of every workflow end as derived for them, and a wrong expectation fails."""

from __future__ import annotations

import dataclasses

import pytest

from benchmarks.fault_cases import Case, all_cases
from benchmarks.fault_expectations import Expected
from benchmarks.fault_runs import CaseResult, run_case

# One worker for the module: deriving the cases runs every workflow once (half a minute), and the
# flipped expectation is judged on the run of its case.
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("fault-matrix")]

RETENTION_FAILS = ("retention", "DescribeImages InternalFailure always")
CHOSEN = [
    # botocore's own retry absorbs it
    ("export-backup", "CreateExportImageTask ThrottlingException once"),
    # outlasts botocore: the state machine's Retry must absorb it
    ("image-pipeline", "CreateImageBuilder ThrottlingException 3 times"),
    ("managed-update", "image ends FAILED"),
    ("fleet-rollout", "UpdateFleet ConcurrentModificationException once"),
    RETENTION_FAILS,
    ("image-pipeline", "image_builder ends FAILED"),
    ("image-pipeline", "task crashes after CreateImageBuilder succeeded"),
]


@pytest.fixture(scope="module")
def cases() -> dict[tuple[str, str], Case]:
    return {(case.workflow, case.label): case for case in all_cases()}


@pytest.fixture(scope="module")
def results() -> dict[tuple[str, str], CaseResult]:
    """Each case's run, made once for the module: the flipped expectation is judged on the same run."""
    return {}


def _result(
    cases: dict[tuple[str, str], Case], results: dict[tuple[str, str], CaseResult], key: tuple[str, str]
) -> CaseResult:
    if key not in results:
        results[key] = run_case(cases[key])
    return results[key]


@pytest.mark.parametrize("key", CHOSEN, ids=[f"{workflow}: {label}" for workflow, label in CHOSEN])
def test_the_case_ends_as_derived_recorded_and_clean(
    cases: dict[tuple[str, str], Case], results: dict[tuple[str, str], CaseResult], key: tuple[str, str]
) -> None:
    result = _result(cases, results, key)

    assert result.passed, result.to_document()


def test_the_derived_outcomes_cover_every_boundary(cases: dict[tuple[str, str], Case]) -> None:
    retriers = {case.expected.retried_by for case in cases.values()}
    statuses = {(case.expected.status, case.expected.retried_by) for case in cases.values()}

    assert {case.workflow for case in cases.values()} == {
        "image-pipeline",
        "export-backup",
        "managed-update",
        "fleet-rollout",
        "retention",
    }
    assert retriers == {"none", "botocore", "state-machine"}
    assert ("SUCCEEDED", "state-machine") in statuses and ("FAILED", "state-machine") in statuses


def test_a_case_whose_expected_status_is_flipped_does_not_pass(
    cases: dict[tuple[str, str], Case], results: dict[tuple[str, str], CaseResult]
) -> None:
    case = cases[RETENTION_FAILS]
    flipped = dataclasses.replace(case, expected=Expected("SUCCEEDED", None, case.expected.retried_by))

    # What was observed does not depend on what was expected: the case's run, judged against it.
    result = dataclasses.replace(_result(cases, results, RETENTION_FAILS), case=flipped)

    assert result.observed.status == "FAILED"
    assert not result.passed
    assert result.to_document()["pass"] is False
