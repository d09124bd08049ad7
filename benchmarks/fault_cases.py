"""The cases of the fault matrix, each with the outcome derived for it.

Per workflow: every AppStream operation a clean run calls x common errors, each failing once,
as many times as botocore tries one call (so the state machine's Retry must absorb it), as many
calls as botocore and the Retry make together (so the run must fail), and always; every resource
the workflow waits for ending FAILED; and a task crashing right after a create call succeeded
(the replay must adopt what it made). Where a workflow catches a failure itself (a Map item,
cleanup's passes), the workflow's description in benchmarks/fault_subjects.py says how.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from appstream_emulator.service_model import INJECTABLE_COMMON_ERRORS, modelled_errors
from benchmarks.fault_callers import TaskState, first_callers, task_states
from benchmarks.fault_expectations import (
    Expected,
    asl_error_name,
    botocore_attempts,
    expect,
    expect_settling,
    retries_for,
)
from benchmarks.fault_subjects import SUBJECTS, Crash, Settling, Subject
from functions.core import errors
from functions.workflows import get_workflow

# Retryable by classification (throttled, unavailable, busy, quota) and one no retry can fix.
ERRORS = (
    "ThrottlingException",
    "InternalFailure",
    "ConcurrentModificationException",
    "LimitExceededException",
    "OperationNotPermittedException",
)
EXHAUSTED_ERROR = "ThrottlingException"  # the error the "outlasts every retry" cases use
CRASH_ERROR = "RuntimeError"  # what a crashed task's process reports: no name the workflow gives


@dataclass(frozen=True)
class Case:
    workflow: str
    label: str
    faults: list[dict[str, Any]]
    expected: Expected
    operation: str | None = None  # the faulted operation
    failing_calls: int | None = None  # how many calls of it fail (None: every call)
    crash: Crash | None = None


def callers(item: Subject) -> dict[str, str]:
    """Each AppStream operation a clean run calls -> the function that calls it first."""
    with item.engine() as engine:
        return first_callers(engine, item.request())


def cases(item: Subject, called: dict[str, str]) -> Iterator[Case]:
    states = task_states(get_workflow(item.workflow).definition)
    for operation, function in sorted(called.items()):
        state = states[function]
        reported = item.item_failure if state.caught_in_body else None
        settling = item.settling if item.settling and item.settling.function == function else None
        yield from operation_cases(item.workflow, operation, state, reported, settling)
    for resource, error in item.failing_resources.items():
        yield resource_case(item.workflow, resource, "FAILED", error)
    if item.export_times_out:
        yield resource_case(item.workflow, "export_task", "TIMED_OUT", item.failing_resources["export_task"])
    for crash in item.crashes:
        yield crash_case(item.workflow, crash, states[crash.task])


def operation_cases(
    workflow: str,
    operation: str,
    state: TaskState,
    reported: type[errors.ImageFactoryError] | None,
    settling: Settling | None = None,
) -> Iterator[Case]:
    possible = modelled_errors(operation) | set(INJECTABLE_COMMON_ERRORS)
    for code in (code for code in ERRORS if code in possible):
        error = asl_error_name(operation, code)
        per_attempt = botocore_attempts(operation, code)
        retries = retries_for(state.retry, error)
        for failing in failing_counts(code, per_attempt, retries):
            if settling is not None:
                removal = operation in settling.removals
                expected = expect_settling(failing, per_attempt, removal, settling.incomplete.__name__)
            else:
                expected = expect(failing, per_attempt, retries, error)
            if reported is not None and expected.error is not None and _retryable(error):
                # A terminal error names the run as it is raised (functions/core/steps.py); a
                # retryable one that outlasted the Retry is caught with the item, and reported.
                expected = Expected(expected.status, reported.__name__, expected.retried_by)
            fault = {"operation": operation, "error": code, "times": failing}
            label = f"{operation} {code} {_times(failing)}"
            yield Case(workflow, label, [fault], expected, operation, failing)


def _retryable(error: str) -> bool:
    named = getattr(errors, error, None)
    return isinstance(named, type) and issubclass(named, errors.ImageFactoryError) and named.retryable


def failing_counts(code: str, per_attempt: int, retries: int) -> list[int | None]:
    """How many calls in a row fail, per case (None: every call).

    One error goes through every boundary: once (botocore's own retry, when it has one), the
    calls of one task attempt (the state machine retries), the calls of every attempt the
    Retry allows (the run fails), always. Other retryable errors take the calls of one task
    attempt and always; an error no retry fixes fails the run at its first call.
    """
    if retries == 0:
        return [1]
    if code == EXHAUSTED_ERROR:
        return [1, per_attempt, per_attempt * (retries + 1), None]
    return [per_attempt, None]


def _times(failing: int | None) -> str:
    return {None: "always", 1: "once"}.get(failing, f"{failing} times")


def resource_case(workflow: str, resource: str, outcome: str, error: type[errors.ImageFactoryError]) -> Case:
    # A resource that ended badly stays so: its error is terminal, the run fails at once.
    retried_by = "state-machine" if error.retryable else "none"
    expected = Expected("FAILED", error.__name__, retried_by)
    fault = {"resource": resource, "outcome": outcome}
    return Case(workflow, f"{resource} ends {outcome}", [fault], expected)


def crash_case(workflow: str, crash: Crash, state: TaskState) -> Case:
    expected = expect(1, 1, retries_for(state.retry, CRASH_ERROR), CRASH_ERROR)
    return Case(workflow, f"task crashes after {crash.creation} succeeded", [], expected, crash=crash)


def all_cases(workflows: list[str] | None = None) -> list[Case]:
    chosen = [item for item in SUBJECTS if workflows is None or item.workflow in workflows]
    return [case for item in chosen for case in cases(item, callers(item))]
