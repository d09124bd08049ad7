"""Who retried a failed call, read from a log of calls made by hand."""

from __future__ import annotations

from benchmarks.fault_calls import Call, first_callers, retried_by


def calls(*entries: tuple[int, str, bool]) -> list[Call]:
    return [Call(invocation, function, "DescribeImages", failed) for invocation, function, failed in entries]


def test_a_failed_call_made_again_by_the_same_invocation_was_retried_by_botocore() -> None:
    assert (
        retried_by(calls((1, "CheckImage", True), (1, "CheckImage", False)), "DescribeImages") == "botocore"
    )


def test_a_failed_call_made_again_by_a_later_attempt_was_retried_by_the_state_machine() -> None:
    log = calls((1, "CheckImage", True), (1, "CheckImage", True), (2, "CheckImage", False))

    assert retried_by(log, "DescribeImages") == "state-machine"


def test_a_call_by_another_function_after_a_failure_is_no_retry() -> None:
    log = calls((1, "Preflight", True), (2, "Cleanup", False))

    assert retried_by(log, "DescribeImages") == "none"
    assert retried_by(log, "CreateImageBuilder") == "none"  # never called
    assert first_callers(log) == {"DescribeImages": "Preflight"}


def test_only_the_call_right_after_a_failure_counts_as_its_retry() -> None:
    # botocore absorbed the failure; the next pass calling again is not a retry of it.
    log = calls((1, "Cleanup", True), (1, "Cleanup", False), (2, "Cleanup", False))

    assert retried_by(log, "DescribeImages") == "botocore"
