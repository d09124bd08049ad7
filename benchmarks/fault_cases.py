"""The cases of the fault matrix, each with the outcome derived for it.

Per workflow: every AppStream operation a clean run calls x common errors, each failing once,
as many times as botocore tries one call (so the state machine's Retry must absorb it), as many
calls as botocore and the Retry make together (so the run must fail), and always; every resource
the workflow waits for ending FAILED; and a task crashing right after a create call succeeded
(the replay must adopt what it made).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from appstream_emulator.scenario import Scenario
from appstream_emulator.service_model import INJECTABLE_COMMON_ERRORS, modelled_errors
from benchmarks.fast import (
    FAST_SETTINGS,
    fast_request,
    fast_scenario,
    lifecycle_request,
    lifecycle_scenario,
)
from benchmarks.fault_callers import TaskState, first_callers, task_states
from benchmarks.fault_expectations import (
    BOTOCORE_MAX_ATTEMPTS,
    Expected,
    asl_error_name,
    botocore_attempts,
    expect,
    expect_settling,
    retries_for,
)
from functions import errors
from functions.workflows import get_workflow
from image_factory.local_engine.engine import LocalEngine

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
class Crash:
    """A task's process dies once, right after `creation` succeeded (the wrapped `module.attribute`)."""

    creation: str  # the create call: an AppStream action name, or what the wrapped function makes
    module: str
    attribute: str
    task: str  # the Lambda function that makes the creation


APPSTREAM_CALL = ("functions.services.appstream", "call")
CRASHES = (
    Crash("CreateImportedImage", *APPSTREAM_CALL, "ImportImage"),
    Crash("CreateImageBuilder", *APPSTREAM_CALL, "CreateBuilder"),
    Crash("PutObject agent job", "functions.services.snapshots", "_write_job", "StartSnapshot"),
    Crash("CreateExportImageTask", *APPSTREAM_CALL, "ExportImage"),
)
BACKUP_CRASHES = (Crash("CreateExportImageTask", *APPSTREAM_CALL, "BackupExportImage"),)
UPDATE_CRASHES = (Crash("CreateUpdatedImage", *APPSTREAM_CALL, "UpdateCreateImage"),)


@dataclass(frozen=True)
class Settling:
    """A step that settles resources one pass at a time and notes a failed call instead of failing."""

    function: str
    incomplete: type[errors.ImageFactoryError]  # what the run fails with when the ceiling passes
    removals: frozenset[str]  # the calls without which a resource stays


PIPELINE_CLEANUP = Settling(
    "Cleanup",
    errors.CleanupIncomplete,
    frozenset({"StopImageBuilder", "DeleteImageBuilder", "DeleteImage"}),
)


@dataclass(frozen=True)
class Subject:
    """A workflow as the matrix runs it: its account, its request, what its resources' failures raise."""

    workflow: str
    scenario: Callable[..., Scenario]
    request: Callable[[], dict[str, Any]]
    failing_resources: dict[str, type[errors.ImageFactoryError]]
    export_times_out: bool = False
    crashes: tuple[Crash, ...] = ()
    # What the workflow fails with when an item of a Map failed (a caught iteration), if it has items.
    item_failure: type[errors.ImageFactoryError] | None = None
    settling: Settling | None = None

    def engine(self, faults: list[dict[str, Any]] | None = None) -> LocalEngine:
        return LocalEngine(self.scenario(faults=faults or []), settings=FAST_SETTINGS, workflow=self.workflow)


SUBJECTS = (
    Subject(
        "image-pipeline",
        fast_scenario,
        fast_request,
        {
            "imported_image": errors.ImageImportFailed,
            "image_builder": errors.ImageBuilderFailed,
            "agent_job": errors.SnapshotFailed,
            "image": errors.SnapshotFailed,
            "export_task": errors.ExportFailed,
        },
        export_times_out=True,
        crashes=CRASHES,
        settling=PIPELINE_CLEANUP,
    ),
    Subject(
        "export-backup",
        lifecycle_scenario,
        lambda: lifecycle_request("export-backup"),
        {"export_task": errors.ExportFailed},
        export_times_out=True,
        crashes=BACKUP_CRASHES,
        item_failure=errors.ExportFailed,  # backup's report names every image whose export failed
    ),
    Subject(
        "managed-update",
        lifecycle_scenario,
        lambda: lifecycle_request("managed-update"),
        {"image": errors.ImageUpdateFailed},
        crashes=UPDATE_CRASHES,
    ),
    Subject(
        "fleet-rollout",
        lifecycle_scenario,
        lambda: lifecycle_request("fleet-rollout"),
        {"fleet": errors.FleetUpdateFailed},
    ),
    Subject("retention", lifecycle_scenario, lambda: lifecycle_request("retention"), {}),
)


@dataclass(frozen=True)
class Case:
    workflow: str
    label: str
    faults: list[dict[str, Any]]
    expected: Expected
    operation: str | None = None  # the faulted operation
    failing_calls: int | None = None  # how many calls of it fail (None: every call)
    crash: Crash | None = None


def subject(workflow: str) -> Subject:
    return next(item for item in SUBJECTS if item.workflow == workflow)


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
                # A terminal error names the run as it is raised (functions/services/steps.py); a
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


__all__ = ["BOTOCORE_MAX_ATTEMPTS", "CRASHES", "Case", "Crash", "Subject", "all_cases", "subject"]
