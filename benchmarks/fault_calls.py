"""Every AppStream call of a run, with the Lambda invocation that made it and whether it failed.

Each invocation remembers itself in its thread, where its AppStream calls are made (botocore's
own retries included). From the log: who made an operation's first call, and who retried a
failed one: botocore, when the same invocation called the operation again; the state machine,
when a later invocation of the same function did (a Retry attempt, or the next pass of a loop).
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any
from unittest import mock

from image_factory.local_engine.engine import LocalEngine


@dataclass(frozen=True)
class Call:
    invocation: int  # in the order invocations started
    function: str  # the Lambda function that made it ("" outside any invocation)
    operation: str
    failed: bool


@contextmanager
def call_log(engine: LocalEngine) -> Iterator[list[Call]]:
    """Log every AppStream call made on the running `engine` while inside the block."""
    log: list[Call] = []
    current = threading.local()
    numbers = itertools.count(1)
    invoke_once = engine.invoker._invoke_once
    call = engine.emulator.call

    def invoking(function: Any, event: Any) -> tuple[str, bool, str]:
        current.invocation = (next(numbers), function.function_name)
        try:
            return invoke_once(function, event)
        finally:
            current.invocation = None

    def calling(operation: str, params: dict[str, Any], region: str | None = None) -> dict[str, Any]:
        number, function = getattr(current, "invocation", None) or (0, "")
        try:
            result = call(operation, params, region=region)
        except Exception:
            log.append(Call(number, function, operation, True))
            raise
        log.append(Call(number, function, operation, False))
        return result

    with ExitStack() as stack:
        stack.enter_context(mock.patch.object(engine.invoker, "_invoke_once", invoking))
        stack.enter_context(mock.patch.object(engine.emulator, "call", calling))
        yield log


def first_callers(log: list[Call]) -> dict[str, str]:
    """Each operation called -> the function that called it first."""
    callers: dict[str, str] = {}
    for call in log:
        callers.setdefault(call.operation, call.function)
    return callers


def retried_by(log: list[Call], operation: str) -> str:
    """Who called `operation` again after a call of it failed: "state-machine", "botocore" or "none"."""
    calls = [call for call in log if call.operation == operation]
    by_botocore = by_state_machine = False
    # A retry is the next call after a failed one; a call after a retry that succeeded is not.
    for failed, after in itertools.pairwise(calls):
        if not failed.failed:
            continue
        if after.invocation == failed.invocation:
            by_botocore = True
        elif after.function == failed.function:
            by_state_machine = True
    return "state-machine" if by_state_machine else "botocore" if by_botocore else "none"
