"""The few shapes every state machine here is made of, as functions that return ASL states.

A workflow source is a list of states in the order the file lists them: `machine(comment,
[task(...), wait(...), until_done(...), ...])`. Each helper returns `(name, state)`; the
first state is where the machine starts.

Retry and Catch are not written by hand: `retry()` reads the error taxonomy, so an error
class added to it, or moved between retryable and terminal, reaches every task of every
workflow on the next `python -m statemachines.build`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

# The one place the state machines learn the workflow's named errors.
from functions.core import errors as taxonomy

JSON = dict[str, Any]
State = tuple[str, JSON]

# Invoking the Lambda failed before or around the function (the service, throttling): safe to repeat.
LAMBDA_SERVICE_ERRORS = [
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
]
STEP_FUNCTIONS_ERRORS = ["StepFunctions.SdkClientException", "StepFunctions.AWSStepFunctionsException"]
# What every task of a wait loop reports (the functions' WaitProgress): how long to sleep, and done.
PROGRESS = ("started_at", "polls", "wait_seconds", "done", "expected_seconds", "ceiling_seconds", "guessed")
# The execution a task runs in, from the context object.
EXECUTION = {
    "id.$": "$$.Execution.Id",
    "name.$": "$$.Execution.Name",
    "start_time.$": "$$.Execution.StartTime",
}


def machine(comment: str, states: Iterable[State]) -> JSON:
    listed = list(states)
    return {
        "Comment": comment,
        "QueryLanguage": "JSONPath",
        "StartAt": listed[0][0],
        "States": _by_name(listed),
    }


def _by_name(states: list[State]) -> JSON:
    found: JSON = {}
    for name, state in states:
        if name in found:
            raise ValueError(f"two states are named {name}")
        found[name] = state
    return found


# --- data paths ---
def inputs(*fields: str) -> JSON:
    """`{"plan.$": "$.plan", ...}`: the run state's fields of these names, passed on as they are."""
    return {f"{field}.$": f"$.{field}" for field in fields}


def outputs(*fields: str) -> JSON:
    """`{"done.$": "$.Payload.done", ...}`: the fields of a Lambda's result the run state keeps."""
    return {f"{field}.$": f"$.Payload.{field}" for field in fields}


# --- Retry and Catch ---
def backoff(errors: list[str], *, interval: int, attempts: int, max_delay: int, rate: float = 2) -> JSON:
    return {
        "ErrorEquals": list(errors),
        "IntervalSeconds": interval,
        "MaxAttempts": attempts,
        "BackoffRate": rate,
        "MaxDelaySeconds": max_delay,
        "JitterStrategy": "FULL",
    }


def _names(errors: Iterable[type[Exception]]) -> list[str]:
    return [error.__name__ for error in errors]


def retry(*, quota: bool = False) -> list[JSON]:
    """A Lambda task's retriers, first match wins.

    The Lambda service's own errors and the taxonomy's retryable ones back off and try again;
    with `quota`, a full account quota is waited out for hours (a task that creates what the
    quota counts); the terminal errors are never retried; and a failure nobody named (the
    Lambda crashed, ran out of memory or time) is tried again twice, since every task adopts
    what an earlier attempt created.
    """
    retriers = [
        backoff(LAMBDA_SERVICE_ERRORS, interval=2, attempts=6, max_delay=60),
        backoff(_names(taxonomy.RETRYABLE_ERRORS), interval=5, attempts=8, max_delay=300),
    ]
    if quota:
        retriers.append(
            backoff(_names(taxonomy.QUOTA_ERRORS), interval=300, attempts=12, rate=1.5, max_delay=1800)
        )
    retriers.append({"ErrorEquals": taxonomy.terminal_error_names(), "MaxAttempts": 0})
    retriers.append(backoff(["States.ALL"], interval=5, attempts=2, max_delay=60))
    return retriers


def catch(target: str, error_path: str = "$.error") -> list[JSON]:
    """Whatever the retriers gave up on goes to `target`, the error kept at `error_path`."""
    return [{"ErrorEquals": ["States.ALL"], "ResultPath": error_path, "Next": target}]


# --- states ---
def task(
    name: str,
    function: str,
    comment: str,
    *,
    payload: JSON,
    result: JSON | None = None,
    result_path: str | None,
    output_path: str | None = None,
    quota: bool = False,
    on_error: str,
    error_path: str = "$.error",
    next: str,
) -> State:
    """A Lambda task: invokes the function of placeholder `${function}` with `payload`.

    `result` selects from the Lambda's answer (see `outputs`), stored at `result_path`
    (None: the answer is dropped). Failures are retried as `retry(quota=quota)` says, then
    caught into `on_error`.
    """
    state: JSON = {
        "Type": "Task",
        "Comment": comment,
        "Resource": "${LambdaInvoke}",
        "Parameters": {"FunctionName": f"${{{function}}}", "Payload": payload},
    }
    if result is not None:
        state["ResultSelector"] = result
    state["ResultPath"] = result_path
    if output_path is not None:
        state["OutputPath"] = output_path
    state["Retry"] = retry(quota=quota)
    state["Catch"] = catch(on_error, error_path)
    state["Next"] = next
    return name, state


def start_workflow(
    name: str,
    comment: str,
    *,
    state_machine: str,
    execution_name: str,
    input_path: str,
    result: JSON,
    result_path: str,
    on_error: str,
    next: str,
) -> State:
    """Start another workflow's state machine (placeholder `${state_machine}`) and wait for it.

    Only Step Functions' own failures are retried: the other run retries its own tasks, and
    starting it again under the same name would fail.
    """
    return name, {
        "Type": "Task",
        "Comment": comment,
        "Resource": "${StartExecutionSync}",
        "Parameters": {
            "StateMachineArn": f"${{{state_machine}}}",
            "Name.$": execution_name,
            "Input.$": input_path,
        },
        "ResultSelector": result,
        "ResultPath": result_path,
        "Retry": [backoff(STEP_FUNCTIONS_ERRORS, interval=2, attempts=6, max_delay=60)],
        "Catch": catch(on_error),
        "Next": next,
    }


def wait(name: str, phase: str, comment: str, *, next: str) -> State:
    """Sleep as long as the last task of `phase` planned (`$.<phase>.wait_seconds`)."""
    return name, {"Type": "Wait", "Comment": comment, "SecondsPath": f"$.{phase}.wait_seconds", "Next": next}


def wait_for_signal(
    name: str, function: str, phase: str, comment: str, *, payload: JSON, fallback: str, next: str
) -> State:
    """Wait until a signal resumes the wait, at most as long as the last task of `phase` planned.

    The function of placeholder `${function}` gets `payload` and the wait's task token
    (`$$.Task.Token`) and leaves the token where the signal's rule finds it
    (functions.core.signals); the wait ends when the token comes back or after
    `$.<phase>.wait_seconds`, whichever is first, and goes on to `next` (the check) either way:
    a lost signal costs what polling costs. The signal's answer is dropped. If the function
    fails, the wait falls back to `fallback`, a plain Wait of the same length, rather than
    checking again at once.
    """
    return name, {
        "Type": "Task",
        "Comment": comment,
        "Resource": "${LambdaInvokeWaitForTaskToken}",
        "Parameters": {
            "FunctionName": f"${{{function}}}",
            "Payload": {**payload, "token.$": "$$.Task.Token"},
        },
        "TimeoutSecondsPath": f"$.{phase}.wait_seconds",
        "ResultPath": None,
        "Catch": [
            {"ErrorEquals": ["States.Timeout"], "ResultPath": None, "Next": next},
            {"ErrorEquals": ["States.ALL"], "ResultPath": None, "Next": fallback},
        ],
        "Next": next,
    }


def until_done(name: str, phase: str, comment: str, *, then: str, otherwise: str) -> State:
    """The Choice closing a wait loop: `$.<phase>.done` goes on to `then`, else `otherwise`."""
    return choice(name, comment, [is_true(f"$.{phase}.done", then)], default=otherwise)


def choice(name: str, comment: str, rules: list[JSON], *, default: str) -> State:
    return name, {"Type": "Choice", "Comment": comment, "Choices": rules, "Default": default}


def is_true(variable: str, next: str) -> JSON:
    return {"Variable": variable, "BooleanEquals": True, "Next": next}


def is_false(variable: str, next: str) -> JSON:
    return {"Variable": variable, "BooleanEquals": False, "Next": next}


def is_set(variable: str, next: str) -> JSON:
    return {"Variable": variable, "IsNull": False, "Next": next}


def is_present(variable: str, next: str) -> JSON:
    return {"Variable": variable, "IsPresent": True, "Next": next}


def equals(variable: str, value: str, next: str) -> JSON:
    return {"Variable": variable, "StringEquals": value, "Next": next}


def pass_parameters(
    name: str, comment: str, parameters: JSON, *, result_path: str | None = None, next: str | None = None
) -> State:
    """A Pass state building its output from `parameters`; the end of its branch without `next`."""
    state: JSON = {"Type": "Pass", "Comment": comment, "Parameters": parameters}
    if result_path is not None:
        state["ResultPath"] = result_path
    return name, _then(state, next)


def pass_result(name: str, comment: str, result: Any, *, result_path: str, next: str) -> State:
    """A Pass state writing the fixed `result` at `result_path`."""
    return name, {
        "Type": "Pass",
        "Comment": comment,
        "Result": result,
        "ResultPath": result_path,
        "Next": next,
    }


def _then(state: JSON, next: str | None) -> JSON:
    if next is None:
        state["End"] = True
    else:
        state["Next"] = next
    return state


def for_each(
    name: str,
    comment: str,
    *,
    items_path: str,
    max_concurrency_path: str,
    item: JSON,
    states: Iterable[State],
    result_path: str,
    on_error: str,
    next: str,
) -> State:
    """A Map state running `states` (inline) once per item of `items_path`, each given `item`."""
    listed = list(states)
    return name, {
        "Type": "Map",
        "Comment": comment,
        "ItemsPath": items_path,
        "MaxConcurrencyPath": max_concurrency_path,
        "ItemSelector": item,
        "ItemProcessor": {
            "ProcessorConfig": {"Mode": "INLINE"},
            "StartAt": listed[0][0],
            "States": _by_name(listed),
        },
        "ResultPath": result_path,
        "Catch": catch(on_error),
        "Next": next,
    }


def succeed(name: str, comment: str | None = None) -> State:
    state: JSON = {"Type": "Succeed"}
    if comment is not None:
        state["Comment"] = comment
    return name, state


def fail(
    name: str, comment: str, *, error: str | None = None, error_path: str | None = None, cause_path: str
) -> State:
    state: JSON = {"Type": "Fail", "Comment": comment}
    if error is not None:
        state["Error"] = error
    if error_path is not None:
        state["ErrorPath"] = error_path
    state["CausePath"] = cause_path
    return name, state
