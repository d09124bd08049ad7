"""What a fault should do to a run: derived from the state's Retry rules, botocore's and the error taxonomy.

A failing AppStream call is first retried by botocore inside the task (`functions/core/clients.py`:
standard mode, `max_attempts` retries after the first call for the errors botocore deems
retryable, one attempt for the others). When every attempt of one call fails, the task raises the named error
`functions.core.errors.classify_appstream` gives the code, and the state's first retrier matching that
name decides how many more task attempts Step Functions makes. So a fault failing `n` calls in a
row costs `n // botocore_attempts` failed task attempts: the run goes on when that is at most the
retrier's MaxAttempts, and fails with the named error otherwise.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from botocore.awsrequest import AWSResponse, HTTPHeaders
from botocore.exceptions import ClientError
from botocore.retries.standard import RetryContext, StandardRetryConditions

from appstream_emulator.service_model import COMMON_ERRORS, operation_model
from functions.core.clients import _CONFIG as CLIENT_CONFIG
from functions.core.errors import classify_appstream


def _total_attempts(retries: Mapping[str, Any]) -> int:
    # As botocore reads a client's Config: `max_attempts` counts retries after the first call,
    # `total_max_attempts` every call (botocore.args._compute_retry_max_attempts).
    if "total_max_attempts" in retries:
        return int(retries["total_max_attempts"])
    return int(retries["max_attempts"]) + 1


# Calls botocore makes per AppStream request, at most.
BOTOCORE_MAX_ATTEMPTS = _total_attempts(getattr(CLIENT_CONFIG, "retries", None) or {})
ASL_DEFAULT_MAX_ATTEMPTS = 3  # what Step Functions uses when a retrier names none

RetriedBy = str  # "none" | "botocore" | "state-machine"


@dataclass(frozen=True)
class Expected:
    status: str  # SUCCEEDED | FAILED
    error: str | None  # the ASL error name the run fails with
    retried_by: RetriedBy


def http_status(code: str) -> int:
    """The status the emulator answers an injected error with (a modelled error: 400)."""
    return COMMON_ERRORS.get(code, 400)


def asl_error_name(operation: str, code: str) -> str:
    """The ASL error a task raises when every attempt of `operation` fails with `code`."""
    response: Any = {
        "Error": {"Code": code, "Message": "injected"},
        "ResponseMetadata": {"HTTPStatusCode": http_status(code)},
    }
    return type(classify_appstream(ClientError(response, operation), operation)).__name__


def botocore_attempts(operation: str, code: str, max_attempts: int = BOTOCORE_MAX_ATTEMPTS) -> int:
    """How many calls botocore makes before one failing with `code` reaches the task."""
    context = RetryContext(
        attempt_number=1,
        operation_model=operation_model(operation),
        parsed_response={"Error": {"Code": code}},
        http_response=AWSResponse("https://appstream.local", http_status(code), HTTPHeaders(), None),
        caught_exception=None,
        request_context={},
    )
    return max_attempts if StandardRetryConditions(max_attempts).is_retryable(context) else 1


def retries_for(retry: Sequence[Mapping[str, Any]], error: str) -> int:
    """MaxAttempts of the first retrier that matches `error` (Step Functions stops at the first)."""
    for retrier in retry:
        names = retrier["ErrorEquals"]
        task_failed = "States.TaskFailed" in names and error != "States.Timeout"
        if error in names or "States.ALL" in names or task_failed:
            return int(retrier.get("MaxAttempts", ASL_DEFAULT_MAX_ATTEMPTS))
    return 0


def expect(failing_calls: int | None, calls_per_attempt: int, retries: int, error: str) -> Expected:
    """The run's end when `failing_calls` calls in a row fail (None: every call).

    `calls_per_attempt` is how many of them one task attempt makes (botocore's attempts), and
    `retries` how many more attempts the state's matching retrier allows.
    """
    if failing_calls is None:
        failed_attempts = retries + 1
    else:
        failed_attempts = min(failing_calls // calls_per_attempt, retries + 1)
    if failed_attempts >= 1 and retries >= 1:
        retried_by = "state-machine"
    elif calls_per_attempt > 1 and (failing_calls is None or failing_calls >= 1):
        retried_by = "botocore"
    else:
        retried_by = "none"
    if failed_attempts > retries:
        return Expected("FAILED", error, retried_by)
    return Expected("SUCCEEDED", None, retried_by)


def expect_settling(failing_calls: int | None, calls_per_attempt: int, removal: bool, error: str) -> Expected:
    """The run's end when the calls fail in a step that settles resources one pass at a time (cleanup).

    Such a step fails no attempt on a failed call: it notes it and its next pass calls again,
    until its ceiling. A removal (stop, delete) that always fails leaves the resource, and the
    run fails with `error`; a lookup has a fallback (the run's own records), so the run goes on.
    """
    if failing_calls is not None and failing_calls < calls_per_attempt:
        retried_by = "botocore"
    else:
        retried_by = "state-machine"
    if failing_calls is None and removal:
        return Expected("FAILED", error, retried_by)
    return Expected("SUCCEEDED", None, retried_by)
