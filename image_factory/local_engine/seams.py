"""The few places where the local engine changes how moto's Step Functions interpreter runs.

moto 5.2.5 executes ASL faithfully but would run Lambda tasks in Docker and spend
real time in Wait states and between retries. Six seams change that, and only
that:

* `LambdaFunction._invoke_lambda(self, event) -> (payload_json, errored, logs)`:
  runs the handler in-process. When `errored` is true the interpreter takes the
  payload's `errorType` as the ASL error name, exactly as with a real Lambda.
* `lambda_eval_utils.execute_lambda_function_integration(...)`: the interpreter's
  whole Lambda call (it builds a boto3 client per call, then invokes) counts as
  "working" on the simulated clock, so simulated time passes only while nothing
  computes: executions wait (a Wait state, a Retry interval, a botocore backoff).
  (Not the whole Task state: the interpreter runs a task in a child thread and
  waits for it, and a waiting parent must not hold the clock.)
* `WaitFunction._wait_interval(self, env, wait_seconds)`: replaced (not wrapped:
  the original recurses on whole seconds) by a wait until `wait_seconds` have
  passed on the simulated clock, which still ends early when the execution stops.
* `retrier_decl.time`: the retrier's only use of the module is `time.sleep`
  between attempts; it gets a module stand-in whose `sleep` is simulated.
* `botocore.endpoint.time`: botocore sleeps there between its own retries of a
  throttled call; those pauses are simulated too (the sleep is the module's only
  use in botocore's endpoint).
* `BotocoreStubber.process_request`: DynamoDB requests are applied one at a time.
  DynamoDB applies a conditional write atomically; moto applies it in several
  Python steps, which parallel executions (the builder-slot counter) could
  interleave.

moto's version is pinned and every seam is checked before use, so a moto upgrade
that moves one fails loudly instead of silently running Docker or sleeping hours.
"""

from __future__ import annotations

import threading
import types
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

import botocore.endpoint
import moto
from moto.awslambda.models import LambdaFunction
from moto.core.botocore_stubber import BotocoreStubber
from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl
from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils
from moto.stepfunctions.parser.asl.component.state.wait.wait_function.wait_function import WaitFunction

from image_factory.local_engine.timewarp import SimulatedTime

SUPPORTED_MOTO_VERSION = "5.2.5"

# (function, event) -> (payload_json, errored, logs), the contract of `_invoke_lambda`.
LambdaInvoker = Callable[[Any, Any], tuple[str, bool, str]]


class EngineIncompatible(RuntimeError):
    """The installed moto does not have the seams the local engine relies on."""


def verify_seams() -> None:
    if moto.__version__ != SUPPORTED_MOTO_VERSION:
        raise EngineIncompatible(
            f"the local engine is built for moto {SUPPORTED_MOTO_VERSION}, found {moto.__version__}; "
            "re-check the seams in image_factory/local_engine/seams.py before changing the pin"
        )
    expected = {
        "moto.awslambda.models.LambdaFunction._invoke_lambda": getattr(
            LambdaFunction, "_invoke_lambda", None
        ),
        "WaitFunction._wait_interval": getattr(WaitFunction, "_wait_interval", None),
        "lambda_eval_utils.execute_lambda_function_integration": getattr(
            lambda_eval_utils, "execute_lambda_function_integration", None
        ),
        "retrier_decl.time.sleep": getattr(getattr(retrier_decl, "time", None), "sleep", None),
        "BotocoreStubber.process_request": getattr(BotocoreStubber, "process_request", None),
        "botocore.endpoint.time.sleep": getattr(getattr(botocore.endpoint, "time", None), "sleep", None),
    }
    missing = [name for name, found in expected.items() if not callable(found)]
    if missing:
        raise EngineIncompatible(f"moto {moto.__version__} lacks the engine's seams: {', '.join(missing)}")


@contextmanager
def _replaced(owner: Any, name: str, value: Any) -> Iterator[None]:
    original = owner.__dict__[name] if isinstance(owner, type) else getattr(owner, name)
    setattr(owner, name, value)
    try:
        yield
    finally:
        setattr(owner, name, original)


def _simulated_wait(warp: SimulatedTime) -> Callable[[Any, Any, int], None]:
    def wait_interval(self: Any, env: Any, wait_seconds: int) -> None:
        # The event fires on any change of program state: a stopped execution stops waiting.
        warp.wait_until(warp.now() + wait_seconds, env.program_state_event.wait, env.is_running)

    return wait_interval


def _serialized_dynamodb(original: Callable[..., Any]) -> Callable[..., Any]:
    lock = threading.Lock()

    def process_request(self: Any, request: Any) -> Any:
        if "dynamodb." in str(getattr(request, "url", "")):
            with lock:
                return original(self, request)
        return original(self, request)

    return process_request


@contextmanager
def patched_interpreter(invoker: LambdaInvoker, warp: SimulatedTime) -> Iterator[None]:
    """Run Lambda tasks through `invoker` and spend Wait/Retry time on `warp`, until exit."""
    verify_seams()

    def invoke_lambda(self: Any, event: Any = None) -> tuple[str, bool, str]:
        return invoker(self, event)

    simulated_time_module = types.SimpleNamespace(sleep=warp.sleep)
    call_lambda = lambda_eval_utils.execute_lambda_function_integration

    def working_lambda_call(*args: Any, **kwargs: Any) -> None:
        with warp.working():
            call_lambda(*args, **kwargs)

    with ExitStack() as stack:
        stack.enter_context(_replaced(LambdaFunction, "_invoke_lambda", invoke_lambda))
        stack.enter_context(
            _replaced(lambda_eval_utils, "execute_lambda_function_integration", working_lambda_call)
        )
        stack.enter_context(_replaced(WaitFunction, "_wait_interval", _simulated_wait(warp)))
        stack.enter_context(_replaced(retrier_decl, "time", simulated_time_module))
        stack.enter_context(_replaced(botocore.endpoint, "time", simulated_time_module))
        stack.enter_context(
            _replaced(
                BotocoreStubber, "process_request", _serialized_dynamodb(BotocoreStubber.process_request)
            )
        )
        yield
