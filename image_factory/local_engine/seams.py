"""The few places where the local engine changes how moto's Step Functions interpreter runs.

moto 5.2.5 executes ASL faithfully but would run Lambda tasks in Docker, spend
real time in Wait states and between retries, and let the clock run while it
switches threads. These seams change that, and only that:

* `LambdaFunction._invoke_lambda(self, event) -> (payload_json, errored, logs)`:
  runs the handler in-process. When `errored` is true the interpreter takes the
  payload's `errorType` as the ASL error name, exactly as with a real Lambda.
* `Program._eval_body(self, env)`: an execution's state loop counts as "working"
  on the simulated clock, so simulated time passes only while every execution
  waits (a Wait state, a Retry interval, a botocore backoff). The interpreter's
  own processing between states then costs no simulated time, as on AWS, where
  a Wait ends when its time is up and the next state starts at once. While it
  runs, the execution's `Environment.set_error` leaves a stopped execution
  stopped: Step Functions ends a stopped execution ABORTED, where moto lets an
  error raised after the stop (a task still running then) make it FAILED.
* Work is lent across the interpreter's threads (`SimulatedTime.lent`), so the
  instants between one thread starting another and the other running cost no
  simulated time either, however busy the machine:
  * `StepFunctionsParserBackend.start_execution` works, and lends that work to
    the execution's thread (`execution_worker.Thread`), which lends it to the
    state loop's thread (`Program.eval`, `program.threading`);
  * `ExecutionState._evaluate_with_timeout(self, env)`: the interpreter runs each
    task in a child thread (`execute_state.Thread`) and waits for it; a task
    state lends its work to that thread, so only the task's own waits let time
    pass. A Map's thread only waits for its iterations: it is idle.
* `state_task_service_callback.time`: the `.sync` integration's sleep between two
  looks at a nested execution is idle (the nested execution does the work).
* `WaitFunction._wait_interval(self, env, wait_seconds)`: replaced (not wrapped:
  the original recurses on whole seconds) by a wait until `wait_seconds` have
  passed on the simulated clock, which still ends early when the execution stops.
* `retrier_decl.time`: the retrier's only use of the module is `time.sleep`
  between attempts; it gets a module stand-in whose `sleep` is simulated.
* `botocore.endpoint.time`: botocore sleeps there between its own retries of a
  throttled call; those pauses are simulated too (the sleep is the module's only
  use in botocore's endpoint).
* `jitter_strategy_decl.random` and `ExponentialBackoff.__init__`: Retry's full
  jitter and botocore's backoff draw from the scenario's seed.
* `BotocoreStubber.process_request`: DynamoDB requests are applied one at a time.
  DynamoDB applies a conditional write atomically; moto applies it in several
  Python steps, which parallel executions (the builder-slot counter) could
  interleave.

moto's version is pinned and every seam is checked before use, so a moto upgrade
that moves one fails loudly instead of silently running Docker or sleeping hours.

Seams that change nothing a run sees, only what many runs cost, live next door:
`interpreter_caches` (the parsed definition, boto3 clients, JSONPath) and
`dynamodb_seams` (transactions and queries sized to the items they touch).
"""

from __future__ import annotations

import random
import threading
import time
import types
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

import botocore.endpoint
import moto
from botocore.retries.standard import ExponentialBackoff
from moto.awslambda.models import LambdaFunction
from moto.core.botocore_stubber import BotocoreStubber
from moto.stepfunctions.parser.asl.component.common.retry import jitter_strategy_decl, retrier_decl
from moto.stepfunctions.parser.asl.component.program import program
from moto.stepfunctions.parser.asl.component.program.program import Program
from moto.stepfunctions.parser.asl.component.state.exec import execute_state
from moto.stepfunctions.parser.asl.component.state.exec.execute_state import ExecutionState
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
    state_task_service_callback as callback,
)
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service import (
    StateTaskService,
)
from moto.stepfunctions.parser.asl.component.state.wait.wait_function.wait_function import WaitFunction
from moto.stepfunctions.parser.asl.eval.environment import Environment
from moto.stepfunctions.parser.asl.eval.program_state import ProgramStopped
from moto.stepfunctions.parser.backend import execution_worker
from moto.stepfunctions.parser.models import StepFunctionsParserBackend

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
        "Program._eval_body": getattr(Program, "_eval_body", None),
        "Environment.set_error": getattr(Environment, "set_error", None),
        "ExecutionState._evaluate_with_timeout": getattr(ExecutionState, "_evaluate_with_timeout", None),
        "StepFunctionsParserBackend.start_execution": StepFunctionsParserBackend.__dict__.get(
            "start_execution"
        ),
        "Program.eval": Program.__dict__.get("eval"),
        "execution_worker.Thread": getattr(execution_worker, "Thread", None),
        "execute_state.Thread": getattr(execute_state, "Thread", None),
        "program.threading.Thread": getattr(getattr(program, "threading", None), "Thread", None),
        "jitter_strategy_decl.random.uniform": getattr(
            getattr(jitter_strategy_decl, "random", None), "uniform", None
        ),
        "ExponentialBackoff._random": getattr(ExponentialBackoff(), "_random", None),
        "state_task_service_callback.time.sleep": getattr(getattr(callback, "time", None), "sleep", None),
        "retrier_decl.time.sleep": getattr(getattr(retrier_decl, "time", None), "sleep", None),
        "BotocoreStubber.process_request": getattr(BotocoreStubber, "process_request", None),
        "botocore.endpoint.time.sleep": getattr(getattr(botocore.endpoint, "time", None), "sleep", None),
    }
    missing = [name for name, found in expected.items() if not callable(found)]
    if missing:
        raise EngineIncompatible(f"moto {moto.__version__} lacks the engine's seams: {', '.join(missing)}")


@contextmanager
def replaced(owner: Any, name: str, value: Any) -> Iterator[None]:
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


def _stays_stopped(env: Any) -> None:
    """`env`'s errors after a stop are dropped: its execution stays stopped (ABORTED)."""
    set_error = env.set_error

    def set_error_unless_stopped(error: Any) -> None:
        if not isinstance(env.program_state(), ProgramStopped):
            set_error(error)

    env.set_error = set_error_unless_stopped


def _serialized_dynamodb(original: Callable[..., Any]) -> Callable[..., Any]:
    lock = threading.Lock()

    def process_request(self: Any, request: Any) -> Any:
        if "dynamodb." in str(getattr(request, "url", "")):
            with lock:
                return original(self, request)
        return original(self, request)

    return process_request


@contextmanager
def patched_interpreter(invoker: LambdaInvoker, warp: SimulatedTime, seed: int | None) -> Iterator[None]:
    """Run Lambda tasks through `invoker` and spend Wait/Retry time on `warp`, until exit.

    Retry jitter, the state machine's and botocore's, is drawn from `seed`: a run can be replayed.
    """
    verify_seams()
    jitter = random.Random(seed)
    backoff_init = ExponentialBackoff.__init__

    def seeded_backoff(self: Any, *args: Any, **kwargs: Any) -> None:
        backoff_init(self, *args, **kwargs)
        self._random = jitter.random

    def invoke_lambda(self: Any, event: Any = None) -> tuple[str, bool, str]:
        return invoker(self, event)

    simulated_time_module = types.SimpleNamespace(sleep=warp.sleep)
    lending_thread = warp.thread_class()
    start_execution = StepFunctionsParserBackend.start_execution
    program_eval = Program.eval

    def working_start(self: Any, *args: Any, **kwargs: Any) -> Any:
        with warp.working(), warp.lent():
            return start_execution(self, *args, **kwargs)

    def lent_program(self: Any, env: Any) -> None:
        with warp.lent():
            program_eval(self, env)

    def idle_sleep(seconds: float) -> None:
        with warp.idle():
            time.sleep(seconds)

    eval_body = Program._eval_body
    evaluate_with_timeout = ExecutionState._evaluate_with_timeout

    def working_state_loop(self: Any, env: Any) -> None:
        _stays_stopped(env)
        with warp.working():
            eval_body(self, env)

    def delegated_task(self: Any, env: Any) -> None:
        # A task's thread does the state's work; a Map's thread only waits for its iterations.
        with warp.lent() if isinstance(self, StateTaskService) else warp.idle():
            evaluate_with_timeout(self, env)

    with ExitStack() as stack:
        stack.enter_context(replaced(LambdaFunction, "_invoke_lambda", invoke_lambda))
        stack.enter_context(replaced(StepFunctionsParserBackend, "start_execution", working_start))
        stack.enter_context(replaced(Program, "eval", lent_program))
        for module in (execution_worker, execute_state):
            stack.enter_context(replaced(module, "Thread", lending_thread))
        stack.enter_context(replaced(program, "threading", types.SimpleNamespace(Thread=lending_thread)))
        stack.enter_context(replaced(jitter_strategy_decl, "random", jitter))
        stack.enter_context(replaced(ExponentialBackoff, "__init__", seeded_backoff))
        stack.enter_context(replaced(callback, "time", types.SimpleNamespace(sleep=idle_sleep)))
        stack.enter_context(replaced(WaitFunction, "_wait_interval", _simulated_wait(warp)))
        stack.enter_context(replaced(Program, "_eval_body", working_state_loop))
        stack.enter_context(replaced(ExecutionState, "_evaluate_with_timeout", delegated_task))
        stack.enter_context(replaced(retrier_decl, "time", simulated_time_module))
        stack.enter_context(replaced(botocore.endpoint, "time", simulated_time_module))
        stack.enter_context(
            replaced(
                BotocoreStubber, "process_request", _serialized_dynamodb(BotocoreStubber.process_request)
            )
        )
        yield
