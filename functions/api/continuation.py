"""Where a cancellation's cleanup carries on when one API call cannot wait for AppStream.

Stopping and deleting a builder takes minutes; an API call has 29 seconds. When the
cleanup is not finished within the call's budget, the API function invokes itself
asynchronously with a continuation event, which cleans up for another budget, and so on
until the cleanup is done or reaches its ceiling. The event carries what is left of the wait
the last invocation chose, and the next one sleeps it out before its next pass: a builder
that takes minutes to stop costs a pass per wait, not a pass per invocation. Lambda retries
a failed asynchronous invocation, and repeating POST /runs/{id}/cancel resumes it too.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING, Any, NamedTuple

import boto3

if TYPE_CHECKING:
    from mypy_boto3_lambda import LambdaClient

EVENT_KEY = "image_factory_cancel_cleanup"
Scheduler = Callable[[str, float], None]


class Continuation(NamedTuple):
    run_id: str
    wait_seconds: float  # left of the wait before the next pass


def continuation_event(run_id: str, wait_seconds: float = 0.0) -> dict[str, Any]:
    return {EVENT_KEY: {"run_id": run_id, "wait_seconds": wait_seconds}}


def continued_run(event: Any) -> Continuation | None:
    """The run and the wait of a continuation event; None for any other event (an API request)."""
    if not (isinstance(event, dict) and isinstance(event.get(EVENT_KEY), dict)):
        return None
    run_id, wait = event[EVENT_KEY].get("run_id"), event[EVENT_KEY].get("wait_seconds", 0.0)
    if not isinstance(run_id, str):
        return None
    valid_wait = isinstance(wait, int | float) and not isinstance(wait, bool) and wait >= 0
    return Continuation(run_id, float(wait) if valid_wait else 0.0)


@cache
def _lambda() -> LambdaClient:
    return boto3.session.Session().client("lambda", region_name=os.environ.get("AWS_REGION"))


def invoke_self(run_id: str, wait_seconds: float) -> None:
    """Continue in a new asynchronous invocation of this function (on Lambda)."""
    _lambda().invoke(
        FunctionName=os.environ["AWS_LAMBDA_FUNCTION_NAME"],
        InvocationType="Event",
        Payload=json.dumps(continuation_event(run_id, wait_seconds)).encode(),
    )


_scheduler: Scheduler = invoke_self


def schedule(run_id: str, wait_seconds: float) -> None:
    _scheduler(run_id, wait_seconds)


def set_scheduler(scheduler: Scheduler) -> None:
    """Where continuations go: this function on Lambda; a background thread on the local server."""
    global _scheduler
    _scheduler = scheduler


def reset_scheduler() -> None:
    set_scheduler(invoke_self)
