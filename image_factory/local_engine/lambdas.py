"""Lambda handlers run in-process, behind moto's `_invoke_lambda` seam.

The event arrives as moto parsed it from the Invoke request; the handler is the
function's configured `Handler` (a dotted path importable from the project root,
the same string CDK deploys). Results and errors are serialized the way the
Python Lambda runtime does it, so the ASL sees the same payloads and error names
as on AWS.
"""

from __future__ import annotations

import importlib
import json
import math
import threading
import time
import traceback
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from typing import Any

from image_factory.local_engine.output import captured_output

Handler = Callable[[Any, Any], Any]


@dataclass(frozen=True)
class LambdaContext:
    """The attributes of the runtime's context object that handlers and powertools read."""

    function_name: str
    invoked_function_arn: str
    memory_limit_in_mb: int
    timeout_seconds: int
    function_version: str = "$LATEST"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    log_group_name: str = ""
    log_stream_name: str = "local"
    identity: Any = None
    client_context: Any = None
    _started: float = field(default_factory=time.monotonic)

    def get_remaining_time_in_millis(self) -> int:
        elapsed = time.monotonic() - self._started
        return max(int((self.timeout_seconds - elapsed) * 1000), 0)


@dataclass(frozen=True)
class Invocation:
    function_name: str
    errored: bool
    error_type: str | None
    logs: str
    real_seconds: float  # the handler's own time, as Lambda bills it (listeners after it left out)
    memory_mb: int
    # When the handler began and ended by the engine's clock (simulated epoch seconds): the clock
    # stands still while a handler works, so the two differ only by what it waited (a retry's
    # backoff), and invocations the engine made together start at one instant.
    started_at: float = 0.0
    ended_at: float = 0.0

    @property
    def gb_seconds(self) -> float:
        # Lambda bills each invocation's duration rounded up to the millisecond.
        return self.memory_mb / 1024 * math.ceil(self.real_seconds * 1000) / 1000


def load_handler(dotted_path: str) -> Handler:
    module_name, _, attribute = dotted_path.rpartition(".")
    if not module_name:
        raise ImportError(f"handler {dotted_path!r} is not a dotted path 'module.function'")
    handler: Handler = getattr(importlib.import_module(module_name), attribute)
    return handler


def _error_payload(error: BaseException, request_id: str) -> str:
    # The shape the Python runtime returns for an unhandled exception.
    return json.dumps(
        {
            "errorMessage": str(error),
            "errorType": type(error).__name__,
            "requestId": request_id,
            "stackTrace": traceback.format_tb(error.__traceback__),
        }
    )


class InProcessInvoker:
    """Runs a moto Lambda function's handler in this process and records the invocation.

    `working` brackets each handler run (the engine stops simulated time meanwhile).
    `after_each` are called after every invocation, in its thread, before the state machine
    goes on: a reader sees the records exactly as that task left them (the progress view
    shows every check, though two checks can come within a few real milliseconds).

    `replay` names functions whose handler runs twice per invocation (same event,
    the second result returned), to prove tasks are safe when Step Functions or
    Lambda deliver them more than once. `clock` stamps each invocation's start and end
    (the engine's simulated clock; the wall clock by default).
    """

    def __init__(
        self,
        replay: Iterable[str] = (),
        working: Callable[[], AbstractContextManager[None]] = nullcontext,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.replay = frozenset(replay)
        self._working = working
        self._clock = clock
        self.invocations_by_function: Counter[str] = Counter()
        self.invocations: list[Invocation] = []
        self._lock = threading.Lock()
        self._handlers: dict[str, Handler] = {}
        self.after_each: list[Callable[[], None]] = []

    @property
    def invocation_count(self) -> int:
        with self._lock:
            return sum(self.invocations_by_function.values())

    @property
    def gb_seconds(self) -> float:
        with self._lock:
            return sum(invocation.gb_seconds for invocation in self.invocations)

    def preload(self, dotted_paths: Iterable[str]) -> None:
        """Import every handler up front, as Lambda's init phase would, so no task pays for imports."""
        for dotted_path in dotted_paths:
            self._handler(dotted_path)

    def _handler(self, dotted_path: str) -> Handler:
        with self._lock:
            if dotted_path not in self._handlers:
                self._handlers[dotted_path] = load_handler(dotted_path)
            return self._handlers[dotted_path]

    def __call__(self, function: Any, event: Any) -> tuple[str, bool, str]:
        name: str = function.function_name
        runs = 2 if name in self.replay else 1
        payload, errored, logs = "", False, ""
        for _ in range(runs):
            payload, errored, logs = self._invoke_once(function, event)
            if errored:
                break
        return payload, errored, logs

    def _invoke_once(self, function: Any, event: Any) -> tuple[str, bool, str]:
        context = LambdaContext(
            function_name=function.function_name,
            invoked_function_arn=function.function_arn,
            memory_limit_in_mb=int(function.memory_size),
            timeout_seconds=int(function.timeout),
            log_group_name=f"/aws/lambda/{function.function_name}",
        )
        # A fresh copy, as a real invocation deserializes its own event.
        event_copy = json.loads(json.dumps(event if event is not None else {}))
        error_type: str | None = None
        started = time.monotonic()
        started_at = self._clock()
        with self._working():
            with captured_output() as output:
                try:
                    result = self._handler(function.handler)(event_copy, context)
                except Exception as error:  # every handler failure becomes the task's ASL error
                    error_type = type(error).__name__
                    payload = _error_payload(error, context.aws_request_id)
                else:
                    try:
                        payload = json.dumps(result)
                    except (TypeError, ValueError) as error:
                        # What the runtime reports when a handler returns something JSON cannot carry.
                        error_type = "Runtime.MarshalError"
                        payload = json.dumps({"errorType": error_type, "errorMessage": str(error)})
            handler_seconds = time.monotonic() - started
            ended_at = self._clock()
            for listener in self.after_each:
                listener()
        logs = "".join(output)
        with self._lock:
            self.invocations_by_function[function.function_name] += 1
            self.invocations.append(
                Invocation(
                    function.function_name,
                    error_type is not None,
                    error_type,
                    logs,
                    handler_seconds,
                    context.memory_limit_in_mb,
                    started_at,
                    ended_at,
                )
            )
        return payload, error_type is not None, logs
