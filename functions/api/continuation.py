"""Where a cancellation's cleanup carries on when one API call cannot wait for AppStream.

Stopping and deleting a builder takes minutes; an API call has 29 seconds. When the
cleanup is not finished within the call's budget, the API function invokes itself
asynchronously with a continuation event, which cleans up for another budget, and so on
until the cleanup is done or reaches its ceiling. Lambda retries a failed asynchronous
invocation, and repeating POST /runs/{id}/cancel resumes it too.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING, Any

import boto3

if TYPE_CHECKING:
    from mypy_boto3_lambda import LambdaClient

EVENT_KEY = "image_factory_cancel_cleanup"
Scheduler = Callable[[str], None]


def continuation_event(run_id: str) -> dict[str, Any]:
    return {EVENT_KEY: {"run_id": run_id}}


def continued_run(event: Any) -> str | None:
    """The run id of a continuation event; None for any other event (an API Gateway request)."""
    if isinstance(event, dict) and isinstance(event.get(EVENT_KEY), dict):
        run_id = event[EVENT_KEY].get("run_id")
        return run_id if isinstance(run_id, str) else None
    return None


@cache
def _lambda() -> LambdaClient:
    return boto3.session.Session().client("lambda", region_name=os.environ.get("AWS_REGION"))


def invoke_self(run_id: str) -> None:
    """Continue in a new asynchronous invocation of this function (on Lambda)."""
    _lambda().invoke(
        FunctionName=os.environ["AWS_LAMBDA_FUNCTION_NAME"],
        InvocationType="Event",
        Payload=json.dumps(continuation_event(run_id)).encode(),
    )


_scheduler: Scheduler = invoke_self


def schedule(run_id: str) -> None:
    _scheduler(run_id)


def set_scheduler(scheduler: Scheduler) -> None:
    """Where continuations go: this function on Lambda; a background thread on the local server."""
    global _scheduler
    _scheduler = scheduler


def reset_scheduler() -> None:
    set_scheduler(invoke_self)
