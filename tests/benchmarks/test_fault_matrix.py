"""A few fault-matrix cases of every workflow end as derived for them, and a wrong expectation fails."""

from __future__ import annotations

import dataclasses

import pytest

from benchmarks.fault_cases import Case, all_cases
from benchmarks.fault_expectations import Expected
from benchmarks.fault_runs import run_case

pytestmark = pytest.mark.slow

CHOSEN = [
    # botocore's own retry absorbs it
    ("export-backup", "CreateExportImageTask ThrottlingException once"),
    # outlasts botocore: the state machine's Retry must absorb it
    ("image-pipeline", "CreateImageBuilder ThrottlingException 3 times"),
    ("managed-update", "image ends FAILED"),
    ("fleet-rollout", "UpdateFleet ConcurrentModificationException once"),
    ("retention", "DescribeImages InternalFailure always"),
    ("image-pipeline", "image_builder ends FAILED"),
    ("image-pipeline", "task crashes after CreateImageBuilder succeeded"),
]


@pytest.fixture(scope="module")
def cases() -> dict[tuple[str, str], Case]:
    return {(case.workflow, case.label): case for case in all_cases()}


@pytest.mark.parametrize("key", CHOSEN, ids=[f"{workflow}: {label}" for workflow, label in CHOSEN])
def test_the_case_ends_as_derived_recorded_and_clean(
    cases: dict[tuple[str, str], Case], key: tuple[str, str]
) -> None:
    result = run_case(cases[key])

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


def test_a_case_whose_expected_status_is_flipped_does_not_pass(cases: dict[tuple[str, str], Case]) -> None:
    case = cases[("retention", "DescribeImages InternalFailure always")]
    flipped = dataclasses.replace(case, expected=Expected("SUCCEEDED", None, case.expected.retried_by))

    result = run_case(flipped)

    assert result.observed.status == "FAILED"
    assert not result.passed
    assert result.to_document()["pass"] is False
