"""The states every workflow shares around its own: recording the run, its success, its failure.

Each workflow records its run in the runs table when it starts (RecordRun), when it succeeds
(RecordSuccess -> Succeeded) and when it fails (RecordFailure -> Failed, or RunNotRecorded
when even that record could not be written). A stopped run's cleanup execution (started by
the stage's rule on the run's ABORTED status change, functions.core.cancellation) enters at
Aborted?, runs the workflow's cleanup if it has one, and ends at RecordCancelled -> Cancelled.
"""

from __future__ import annotations

from statemachines.dsl import (
    EXECUTION,
    JSON,
    State,
    choice,
    fail,
    inputs,
    is_present,
    outputs,
    succeed,
    task,
)

RECORD_FAILURE_COMMENT = "Record the run as FAILED with the step, error code and AppStream's reason."


def record_run(function: str, *, on_error: str, next: str) -> State:
    return task(
        "RecordRun",
        function,
        "Record the run as RUNNING and announce it on EventBridge.",
        payload=inputs("plan"),
        result_path=None,
        on_error=on_error,
        next=next,
    )


def record_success(
    function: str,
    payload: JSON,
    comment: str = "Record the run as SUCCEEDED; the result is the execution's output.",
) -> State:
    """The recorded run document becomes the execution's output."""
    return task(
        "RecordSuccess",
        function,
        comment,
        payload={"plan.$": "$.plan", **payload},
        result={"output.$": "$.Payload"},
        result_path="$",
        output_path="$.output",
        on_error="RecordFailure",
        next="Succeeded",
    )


def record_failure(function: str, comment: str = RECORD_FAILURE_COMMENT) -> list[State]:
    """RecordFailure and the two ways a failed run ends."""
    return [
        task(
            "RecordFailure",
            function,
            comment,
            payload={"document.$": "$", "execution": EXECUTION},
            result=outputs("error", "cause", "step", "run_id"),
            result_path="$.outcome",
            on_error="RunNotRecorded",
            error_path="$.record_error",
            next="Failed",
        ),
        fail(
            "Failed",
            "Error: the failing step's error name. Cause: the step and why.",
            error_path="$.outcome.error",
            cause_path="$.outcome.cause",
        ),
        fail(
            "RunNotRecorded",
            "The failure could not be written to the runs table.",
            error="RunNotRecorded",
            cause_path="$.record_error.Cause",
        ),
    ]


def validate_lifecycle_request(workflow: str, comment: str, *, result: JSON | None = None) -> State:
    """The lifecycle workflows' first state: the shared validator, told which workflow's request it is.

    Without `result`, the validator's whole answer becomes the run state.
    """
    return task(
        "ValidateRequest",
        "LifecycleValidateFunctionArn",
        comment,
        payload={"workflow": workflow, "request.$": "$", "execution": EXECUTION},
        result=result,
        result_path="$",
        output_path=None if result is not None else "$.Payload",
        on_error="RecordFailure",
        next="RecordRun",
    )


def cancellation(workflow: str, *, first: str, cleanup: str | None = None) -> list[State]:
    """Aborted? (the definition's first state: a stopped run's cleanup, or a new run at `first`),
    and the cleanup execution's own states. With `cleanup`, the workflow's cleanup loop starting
    at that state undoes what the run made once the tasks in flight at the stop have ended; its
    Choice sends a cancellation (`$.cancellation`) on to RecordCancelled."""
    states = [
        choice(
            "Aborted?",
            "A stopped run's cleanup (the stage's rule on its ABORTED status change starts this state"
            " machine with the aborted execution), or a new run.",
            [is_present("$.aborted_execution", "PlanCancellation" if cleanup else "RecordCancelled")],
            default=first,
        )
    ]
    if cleanup is not None:
        states += [
            task(
                "PlanCancellation",
                "PlanCancellationFunctionArn",
                "Plan the stopped run's cleanup from the aborted execution: its names, tags and request.",
                payload={"workflow": workflow, "aborted.$": "$.aborted_execution"},
                result_path="$",
                output_path="$.Payload",
                on_error="RecordCancelled",
                error_path="$.cleanup_error",
                next="WaitForSettle",
            ),
            (
                "WaitForSettle",
                {
                    "Type": "Wait",
                    "Comment": "Until a task in flight at the stop has ended, so cleanup finds what it made.",
                    "TimestampPath": "$.cancellation.settled_at",
                    "Next": cleanup,
                },
            ),
        ]
    return [
        *states,
        task(
            "RecordCancelled",
            "RecordCancelledFunctionArn",
            "Record the stopped run as CANCELLED, with what its cleanup did.",
            payload={"aborted.$": "$$.Execution.Input.aborted_execution", "document.$": "$"},
            result_path="$.outcome",
            on_error="RunNotRecorded",
            error_path="$.record_error",
            next="Cancelled",
        ),
        succeed("Cancelled", "The stopped run is cleaned up and recorded."),
    ]
