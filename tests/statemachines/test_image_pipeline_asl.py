"""Static checks of the image pipeline's ASL: the file deployed is the file checked here."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from functions.core.errors import QUOTA_ERRORS, RETRYABLE_ERRORS, terminal_error_names
from functions.workflows import (
    INTEGRATION_PLACEHOLDERS,
    LAMBDA_INVOKE,
    LAMBDA_INVOKE_WAIT_FOR_TOKEN,
    LAMBDA_TASKS,
    RESOURCE_PLACEHOLDERS,
)
from functions.workflows.image_pipeline.phases import (
    BuilderPhase,
    CleanupPhase,
    ExportPhase,
    SlotPhase,
    SnapshotPhase,
    SourcePhase,
)

DEFINITION = Path(__file__).resolve().parents[2] / "statemachines" / "image_pipeline.asl.json"
LAMBDA_ERRORS = {
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
}
RETRYABLE = {"AppStreamThrottled", "AppStreamBusy", "AppStreamUnavailable", "DependencyUnavailable"}
FAILURE_PATH = {"Cleanup", "RecordFailure", "RunNotRecorded", "RecordCancelled"}
# The states a stopped run's cleanup execution adds (functions.core.cancellation).
CANCELLATION = {"PlanCancellation", "WaitForSettle", "RecordCancelled"}
PHASE_MODELS = {
    "source": SourcePhase,
    "slot": SlotPhase,
    "builder": BuilderPhase,
    "snapshot": SnapshotPhase,
    "export": ExportPhase,
    "cleanup": CleanupPhase,
}


@pytest.fixture(scope="module")
def definition() -> dict[str, Any]:
    return json.loads(DEFINITION.read_text())


@pytest.fixture(scope="module")
def states(definition: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return definition["States"]


def of_type(states: dict[str, dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {name: state for name, state in states.items() if state["Type"] == kind}


def lambda_tasks(states: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The Task states that do work (not the waits for a signal, `signal_waits`)."""
    return {
        name: state for name, state in of_type(states, "Task").items() if state["Resource"] == LAMBDA_INVOKE
    }


def signal_waits(states: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {
        name: state
        for name, state in of_type(states, "Task").items()
        if state["Resource"] == LAMBDA_INVOKE_WAIT_FOR_TOKEN
    }


def targets(state: dict[str, Any]) -> set[str]:
    found = {state[key] for key in ("Next", "Default") if key in state}
    found |= {choice["Next"] for choice in state.get("Choices", [])}
    found |= {catcher["Next"] for catcher in state.get("Catch", [])}
    return found


def test_it_is_jsonpath_and_starts_by_validating(definition: dict[str, Any]) -> None:
    assert definition.get("QueryLanguage", "JSONPath") == "JSONPath"
    # A stopped run's cleanup goes to PlanCancellation; every other input is a run's request.
    first = definition["States"][definition["StartAt"]]
    assert first["Type"] == "Choice" and first["Default"] == "ValidateRequest"
    assert first["Choices"] == [
        {"Variable": "$.aborted_execution", "IsPresent": True, "Next": "PlanCancellation"}
    ]
    assert "JSONata" not in DEFINITION.read_text()
    assert not any("Assign" in state for state in definition["States"].values())


def test_every_target_exists_and_every_state_is_reachable(
    definition: dict[str, Any], states: dict[str, dict[str, Any]]
) -> None:
    for name, state in states.items():
        assert targets(state) <= set(states), f"{name} points at a state that does not exist"
    reached, frontier = set(), [definition["StartAt"]]
    while frontier:
        name = frontier.pop()
        if name not in reached:
            reached.add(name)
            frontier.extend(targets(states[name]))
    assert reached == set(states)


def test_every_task_invokes_a_catalog_function_through_the_lambda_integration(
    states: dict[str, dict[str, Any]],
) -> None:
    placeholders = {task.placeholder for task in LAMBDA_TASKS}
    for name, state in of_type(states, "Task").items():
        assert state["Resource"] in {LAMBDA_INVOKE, LAMBDA_INVOKE_WAIT_FOR_TOKEN}, name
        function = re.fullmatch(r"\$\{(\w+)\}", state["Parameters"]["FunctionName"])
        assert function is not None and function.group(1) in placeholders, name
        assert "Payload" in state["Parameters"] or "Payload.$" in state["Parameters"], name


def test_every_placeholder_is_in_the_catalog() -> None:
    known = {task.placeholder for task in LAMBDA_TASKS} | {*RESOURCE_PLACEHOLDERS, *INTEGRATION_PLACEHOLDERS}
    used = set(re.findall(r"\$\{(\w+)\}", DEFINITION.read_text()))
    assert used <= known, used - known
    # The catalog also serves the lifecycle workflows: every function is used by some ASL file.
    everywhere = {
        name
        for path in DEFINITION.parent.glob("*.asl.json")
        for name in re.findall(r"\$\{(\w+)\}", path.read_text())
    }
    assert {task.placeholder for task in LAMBDA_TASKS} <= everywhere, "a catalog function no task uses"


def retriers_retrying(state: dict[str, Any]) -> list[dict[str, Any]]:
    return [retrier for retrier in state.get("Retry", []) if retrier.get("MaxAttempts", 3) > 0]


def test_every_task_retries_transient_errors_with_full_jitter(states: dict[str, dict[str, Any]]) -> None:
    for name, state in lambda_tasks(states).items():
        retriers = retriers_retrying(state)
        retried = {error for retrier in retriers for error in retrier["ErrorEquals"]}
        assert retried >= LAMBDA_ERRORS | RETRYABLE, name
        for retrier in retriers:
            assert retrier["JitterStrategy"] == "FULL", name
            assert 1 <= retrier["MaxAttempts"] <= 12, name
            assert retrier.get("BackoffRate", 1) > 1, name


def test_the_retryable_errors_are_the_ones_the_functions_call_retryable(
    states: dict[str, dict[str, Any]],
) -> None:
    retryable = {error.__name__ for error in RETRYABLE_ERRORS}
    quota = {error.__name__ for error in QUOTA_ERRORS}
    for name, state in lambda_tasks(states).items():
        lists = [set(retrier["ErrorEquals"]) for retrier in retriers_retrying(state)]
        assert retryable in lists, name
        assert all(not errors & quota or errors == quota for errors in lists), name


def test_terminal_errors_are_never_retried_and_the_list_matches_the_functions(
    states: dict[str, dict[str, Any]],
) -> None:
    for name, state in lambda_tasks(states).items():
        never = [retrier for retrier in state["Retry"] if retrier.get("MaxAttempts") == 0]
        assert len(never) == 1, name
        assert never[0]["ErrorEquals"] == terminal_error_names(), (
            f"{name}: not the terminal errors of functions/core/errors.py"
        )
        retried = {error for retrier in retriers_retrying(state) for error in retrier["ErrorEquals"]}
        assert not retried & set(terminal_error_names()), name
        # Before the catch-all: the interpreter applies the first retrier that matches.
        assert state["Retry"].index(never[0]) == len(state["Retry"]) - 2, name


def test_a_task_that_crashed_or_timed_out_is_tried_again_a_bounded_number_of_times(
    states: dict[str, dict[str, Any]],
) -> None:
    # A crashed Lambda reaches the workflow as Lambda.Unknown, States.Timeout or the exception's
    # own errorType: only States.ALL, which must come last and alone, matches them all.
    for name, state in lambda_tasks(states).items():
        last = state["Retry"][-1]
        assert last["ErrorEquals"] == ["States.ALL"], name
        assert 1 <= last["MaxAttempts"] <= 3, name
        assert all("States.ALL" not in retrier["ErrorEquals"] for retrier in state["Retry"][:-1]), name


def test_every_task_catches_into_the_failure_path(states: dict[str, dict[str, Any]]) -> None:
    for name, state in lambda_tasks(states).items():
        catchers = state.get("Catch", [])
        assert [catcher["ErrorEquals"] for catcher in catchers] == [["States.ALL"]], name
        assert catchers[0]["Next"] in FAILURE_PATH, name
        assert catchers[0]["ResultPath"].startswith("$."), f"{name} would drop the run state when it fails"


def test_tasks_that_can_leave_resources_behind_are_caught_into_cleanup(
    states: dict[str, dict[str, Any]],
) -> None:
    unrecorded_or_final = {"ValidateRequest", "Cleanup", "RecordSuccess", "RecordFailure", *CANCELLATION}
    for name, state in lambda_tasks(states).items():
        if name not in unrecorded_or_final:
            assert state["Catch"][0]["Next"] == "Cleanup", name
            assert state["Catch"][0]["ResultPath"] == "$.error", name


def test_every_wait_loop_goes_through_a_check_task_and_a_choice(states: dict[str, dict[str, Any]]) -> None:
    waits = of_type(states, "Wait")
    assert waits, "the workflow has no waits"
    fallbacks = {state["Catch"][-1]["Next"]: name for name, state in signal_waits(states).items()}
    for name, wait in {**waits, **signal_waits(states)}.items():
        if name == "WaitForSettle":  # a cancellation's one wait, until the stop has settled
            assert wait["TimestampPath"] == "$.cancellation.settled_at" and wait["Next"] == "Cleanup"
            continue
        planned = wait.get("SecondsPath") or wait.get("TimeoutSecondsPath")
        assert planned and "Seconds" not in wait, f"{name} must wait as planned by its check"
        check = states[wait["Next"]]
        assert check["Type"] == "Task", name
        choice = states[check["Next"]]
        assert choice["Type"] == "Choice", name
        # Back to the wait, directly or through the Choice that picks the kind of wait (AgentReports?).
        again = set(targets(choice))
        again |= {
            t for routed in again if states[routed]["Type"] == "Choice" for t in targets(states[routed])
        }
        assert fallbacks.get(name, name) in again, f"{name} is not a loop"
        phase = planned.split(".")[1]
        assert any(rule["Variable"] == f"$.{phase}.done" for rule in choice["Choices"]), name
        assert check["ResultPath"] == f"$.{phase}", f"{name}: the check must update the phase it waits on"


def assert_goes_on_to_its_check_however_it_ends(
    name: str, wait: dict[str, Any], states: dict[str, dict[str, Any]]
) -> None:
    """A wait for a signal: its token in the payload, its answer dropped, no retry; a timeout goes on
    to the check, any other error to a plain Wait of the same length before the check."""
    phase = wait["TimeoutSecondsPath"].split(".")[1]
    check = wait["Next"]
    assert wait["Parameters"]["Payload"]["token.$"] == "$$.Task.Token", name
    assert wait["ResultPath"] is None, f"{name}: the signal's answer must not touch the run state"
    assert "Retry" not in wait, f"{name}: a retried wait would outlast its plan"
    timeout, everything = wait["Catch"]
    assert timeout == {"ErrorEquals": ["States.Timeout"], "ResultPath": None, "Next": check}, name
    assert everything["ErrorEquals"] == ["States.ALL"] and everything["ResultPath"] is None, name
    fallback = states[everything["Next"]]
    assert fallback == {
        **fallback,
        "Type": "Wait",
        "SecondsPath": f"$.{phase}.wait_seconds",
        "Next": check,
    }


def test_a_wait_for_a_signal_goes_on_to_its_check_however_it_ends(states: dict[str, dict[str, Any]]) -> None:
    waits = signal_waits(states)
    assert set(waits) == {"WaitForSnapshot", "WaitForExport"}
    for name, wait in waits.items():
        assert_goes_on_to_its_check_however_it_ends(name, wait, states)


def test_each_phase_is_stored_with_all_its_fields(states: dict[str, dict[str, Any]]) -> None:
    for name, state in of_type(states, "Task").items():
        phase = str(state.get("ResultPath", ""))[2:]
        if phase in PHASE_MODELS:
            assert set(state["ResultSelector"]) == {
                f"{field}.$" for field in PHASE_MODELS[phase].model_fields
            }, name


def test_the_failure_ends_with_the_recorded_error_and_cause(states: dict[str, dict[str, Any]]) -> None:
    failed = states["Failed"]
    assert failed["ErrorPath"] == "$.outcome.error"
    assert failed["CausePath"] == "$.outcome.cause"
    assert states["RecordFailure"]["Next"] == "Failed"
    assert states["RecordSuccess"]["Next"] == "Succeeded"
