"""Deriving a fault's outcome from Retry blocks, botocore's attempts and the error taxonomy."""

from __future__ import annotations

import pytest

from benchmarks.fault_expectations import (
    BOTOCORE_MAX_ATTEMPTS,
    Expected,
    _total_attempts,
    asl_error_name,
    botocore_attempts,
    expect,
    expect_settling,
    retries_for,
)

RETRY = [
    {"ErrorEquals": ["Lambda.ServiceException"], "MaxAttempts": 6},
    {"ErrorEquals": ["AppStreamThrottled", "AppStreamBusy"], "MaxAttempts": 4},
    {"ErrorEquals": ["AppStreamRequestRejected"], "MaxAttempts": 0},
    {"ErrorEquals": ["States.ALL"], "MaxAttempts": 2},
]


def test_the_first_matching_retrier_decides_and_states_all_catches_the_rest() -> None:
    assert retries_for(RETRY, "AppStreamBusy") == 4
    assert retries_for(RETRY, "AppStreamRequestRejected") == 0
    assert retries_for(RETRY, "RuntimeError") == 2
    assert retries_for(RETRY[:2], "RuntimeError") == 0  # no retrier: no retry


def test_a_retrier_without_max_attempts_makes_three_and_task_failed_skips_timeouts() -> None:
    retry = [{"ErrorEquals": ["States.TaskFailed"]}]

    assert retries_for(retry, "AppStreamThrottled") == 3
    assert retries_for(retry, "States.Timeout") == 0


def test_max_attempts_in_a_client_config_counts_retries_after_the_first_call() -> None:
    assert _total_attempts({"mode": "standard", "max_attempts": 2}) == 3
    assert _total_attempts({"total_max_attempts": 2}) == 2


@pytest.mark.parametrize(
    ("failing", "expected"),
    [
        (0, Expected("SUCCEEDED", None, "none")),
        (2, Expected("SUCCEEDED", None, "botocore")),  # within one call's attempts
        (3, Expected("SUCCEEDED", None, "state-machine")),  # one task attempt failed
        (14, Expected("SUCCEEDED", None, "state-machine")),  # 4 failed attempts: the last retry
        (15, Expected("FAILED", "AppStreamThrottled", "state-machine")),  # 5 attempts failed
        (None, Expected("FAILED", "AppStreamThrottled", "state-machine")),
    ],
)
def test_a_run_survives_as_many_failed_calls_as_botocore_and_the_retrier_absorb(
    failing: int | None, expected: Expected
) -> None:
    assert expect(failing, 3, retries_for(RETRY, "AppStreamThrottled"), "AppStreamThrottled") == expected


def test_an_error_no_retry_fixes_fails_the_run_at_its_first_call() -> None:
    assert expect(1, 1, 0, "AppStreamRequestRejected") == Expected(
        "FAILED", "AppStreamRequestRejected", "none"
    )
    assert expect(None, 3, 0, "AppStreamRequestRejected").retried_by == "botocore"


def test_appstream_codes_are_named_by_the_taxonomy_and_retried_as_botocore_does() -> None:
    assert asl_error_name("DescribeImages", "ThrottlingException") == "AppStreamThrottled"
    assert asl_error_name("DescribeImages", "InternalFailure") == "AppStreamUnavailable"
    assert asl_error_name("StopFleet", "ConcurrentModificationException") == "AppStreamBusy"
    assert asl_error_name("CreateFleet", "LimitExceededException") == "AppStreamQuotaExceeded"
    assert asl_error_name("CreateFleet", "OperationNotPermittedException") == "AppStreamRequestRejected"
    assert botocore_attempts("DescribeImages", "ThrottlingException") == BOTOCORE_MAX_ATTEMPTS
    assert botocore_attempts("DescribeImages", "InternalFailure") == BOTOCORE_MAX_ATTEMPTS  # a 500
    assert botocore_attempts("StopFleet", "ConcurrentModificationException") == 1
    assert botocore_attempts("CreateFleet", "OperationNotPermittedException", max_attempts=5) == 1


def test_a_settling_step_absorbs_failed_calls_and_fails_only_on_a_removal_that_always_fails() -> None:
    assert expect_settling(2, 3, removal=True, error="CleanupIncomplete").retried_by == "botocore"
    assert expect_settling(27, 3, removal=True, error="CleanupIncomplete") == Expected(
        "SUCCEEDED", None, "state-machine"
    )
    assert expect_settling(None, 1, removal=True, error="CleanupIncomplete") == Expected(
        "FAILED", "CleanupIncomplete", "state-machine"
    )
    assert expect_settling(None, 3, removal=False, error="CleanupIncomplete").status == "SUCCEEDED"
