"""The scale benchmark's judgement and its Lambda throttle arithmetic, on hand-made results."""

from __future__ import annotations

import json
from typing import Any

from benchmarks.scale import (
    Interval,
    failures,
    invocation_intervals,
    peak_concurrency,
    quota_errors,
    throttle_table,
    throttled,
)
from image_factory.local_engine.lambdas import InProcessInvoker, Invocation


def _failed_attempt(error: str, message: str) -> dict[str, Any]:
    cause = json.dumps({"errorType": error, "errorMessage": message})
    return {"type": "TaskFailed", "taskFailedEventDetails": {"error": error, "cause": cause}}


def test_quota_errors_are_counted_by_the_operation_that_met_them() -> None:
    history = [
        _failed_attempt(
            "AppStreamQuotaExceeded", "CreateExportImageTask 'web-1': LimitExceededException: 5 exports"
        ),
        _failed_attempt("AppStreamQuotaExceeded", "CreateImageBuilder 'web-b': LimitExceededException: 10"),
        _failed_attempt("AppStreamThrottled", "DescribeImages: ThrottlingException: Rate exceeded"),
        {"type": "TaskSucceeded"},
    ]
    assert quota_errors([history, history[:1]]) == {"CreateExportImageTask": 2, "CreateImageBuilder": 1}


def test_the_builder_quota_or_a_run_that_did_not_succeed_fails_the_benchmark() -> None:
    assert failures(["SUCCEEDED", "SUCCEEDED"], {}) == []
    # An export limit waited out by Retry is reported, not failed: the runs succeeded.
    assert failures(["SUCCEEDED", "SUCCEEDED"], {"CreateExportImageTask": 3}) == []
    assert failures(["SUCCEEDED"], {"CreateImageBuilder": 1}) == [
        "1 task attempts met the image builder quota"
    ]
    assert failures(["SUCCEEDED", "FAILED", "STUCK"], {}) == ["2 of 3 runs did not succeed"]


def test_peak_counts_the_invocations_in_flight_at_one_instant() -> None:
    # Three start together; one ends as the fourth starts, which takes its slot.
    intervals = [Interval(0, 1), Interval(0, 2), Interval(0, 3), Interval(1, 4), Interval(5, 6)]
    assert peak_concurrency(intervals) == 3
    assert peak_concurrency([]) == 0
    assert peak_concurrency([Interval(0, 1), Interval(1, 2)]) == 1


def test_invocations_beyond_the_reserved_slots_are_throttled() -> None:
    intervals = [Interval(0, 1), Interval(0, 2), Interval(0, 3), Interval(1, 4), Interval(5, 6)]
    assert throttled(intervals, None) == 0
    assert throttled(intervals, 3) == 0
    # Two slots: the third at 0 is throttled; at 1 the first has ended, so the fourth gets its slot.
    assert throttled(intervals, 2) == 1
    # One slot: only (0, 1), then (1, 4) and (5, 6) get it.
    assert throttled(intervals, 1) == 2


def test_a_throttled_invocation_holds_no_slot() -> None:
    # The long one at 0.5 is throttled, so it does not keep the one at 1.5 out.
    assert throttled([Interval(0, 1), Interval(0.5, 10), Interval(1.5, 2)], 1) == 1


def test_the_table_has_a_column_per_reservation_and_a_total() -> None:
    intervals = {"CheckBuilder": [Interval(0, 1)] * 3, "Cleanup": [Interval(0, 1)]}
    header, rows = throttle_table(intervals, [None, 2])
    assert header == [
        "function",
        "invocations",
        "peak in flight",
        "throttled at unreserved",
        "throttled at 2",
    ]
    assert rows == [
        ["CheckBuilder", "3", "3", "0", "1"],
        ["Cleanup", "1", "1", "0", "0"],
        ["all task functions", "4", "", "0", "1"],
    ]


def test_an_invocation_is_in_flight_until_its_end_plus_the_handlers_run_time() -> None:
    invocation = Invocation("Cleanup", False, None, "", 0.25, 512, started_at=100.0, ended_at=102.0)
    assert invocation_intervals([invocation]) == {"Cleanup": [Interval(100.0, 102.25)]}


def test_the_invoker_stamps_each_invocation_by_its_clock() -> None:
    readings = iter([10.0, 12.5])
    invoker = InProcessInvoker(clock=lambda: next(readings))

    class Function:
        function_name = "Probe"
        function_arn = "arn:aws:lambda:us-east-1:123456789012:function:Probe"
        memory_size = 128
        timeout = 3
        handler = "json.dumps"

    invoker(Function(), {})
    (invocation,) = invoker.invocations
    assert (invocation.started_at, invocation.ended_at) == (10.0, 12.5)
