"""The signals AWS sends about a run (EC2's AMI state change, S3's agent result), delivered to the
waits they resume.

On AWS, a wait of the image pipeline is a `.waitForTaskToken` task (functions.core.signals): EC2
puts "EC2 AMI State Change" on the default event bus, S3 puts "Object Created" there for the
agent's `result.json`, the stack's rule invokes a function, and that function sends the wait's
token back. Here the emulator keeps the events EC2 would send in an outbox
(`Emulator.take_events`); moto's S3 sends its own, as the jobs bucket has EventBridge
notifications on. Two seams carry them the rest of the way:

* `moto.events.models.Rule.send_to_targets`: moto 5.2.5 matches events to rules but sends
  nothing to a Lambda target (it raises NotImplementedError); the seam invokes the function's
  handler in-process, as the in-process invoker runs every task. S3's events are delivered as
  the scenario's `assumptions.aws_events` says (at once, never, or `DELAY_SECONDS` later), as the
  emulator delivers EC2's.
* `StateTaskServiceCallback._eval_wait_for_task_token(self, env, timeout_seconds, endpoint,
  heartbeat)`: moto waits for the token in real time. The seam waits on the simulated clock
  instead, and since the emulator moves only when called, it wakes at each of its changes
  (a scheduled transition, an agent's next look for its job, a held event),
  settles them and delivers the events they sent (the wait stands for everything EC2 and
  EventBridge would be doing meanwhile). The wait ends when the token comes back, when moto
  interrupts it (a `.sync` task's companion wait, once the nested execution has ended), when the
  execution stops, or when it times out.

moto's interpreter supports `.waitForTaskToken` on Lambda tasks, TimeoutSecondsPath and
SendTaskSuccess as they are; `verify` checks what the seams rely on, so an upgrade fails loudly.
"""

from __future__ import annotations

import copy
import inspect
import json
import os
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from typing import Any

import boto3
from moto.awslambda.utils import get_backend
from moto.events.models import Rule
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
    state_task_service_callback as callback,
)
from moto.stepfunctions.parser.asl.eval.callback.callback import (
    CallbackEndpoint,
    CallbackOutcomeSuccess,
    CallbackOutcomeTimedOut,
)

from appstream_emulator.core import Emulator
from appstream_emulator.domain.aws_events import DELAY_SECONDS
from functions.core import names
from image_factory.local_engine.event_rules import target_input
from image_factory.local_engine.seams import EngineIncompatible, replaced
from image_factory.local_engine.timewarp import SimulatedTime
from stacks.signal_rules import signal_rules

_TOKEN_WAIT = "_eval_wait_for_task_token"
# Set by a token's outcome and by `interrupt_all`: either ends the wait.
_NOTIFIED = "_notify_event"


def verify() -> None:
    wait = getattr(callback.StateTaskServiceCallback, _TOKEN_WAIT, None)
    parameters = list(inspect.signature(wait).parameters) if callable(wait) else []
    if parameters != ["self", "env", "timeout_seconds", "callback_endpoint", "heartbeat_endpoint"]:
        raise EngineIncompatible(
            f"moto's StateTaskServiceCallback.{_TOKEN_WAIT} changed: re-check {__name__}"
        )
    if not callable(getattr(CallbackEndpoint, "wait", None)) or not isinstance(
        getattr(CallbackEndpoint("verify"), _NOTIFIED, None), threading.Event
    ):
        raise EngineIncompatible(f"moto's CallbackEndpoint lacks wait/{_NOTIFIED}: re-check {__name__}")
    parameters = list(inspect.signature(Rule.send_to_targets).parameters)
    if parameters != ["self", "original_event", "transform_input"]:
        raise EngineIncompatible(f"moto's Rule.send_to_targets{parameters} changed: re-check {__name__}")


class AwsSignals:
    """What the engine delivered: each event put on the default bus, and the functions it invoked."""

    def __init__(self) -> None:
        self.published: list[dict[str, Any]] = []
        self.invocations: list[tuple[str, dict[str, Any]]] = []
        self.open = True  # false once the engine closes: a wait still going then ends, delivering nothing
        # S3's events held back by `assumptions.aws_events: delayed`: (due, rule, event).
        self.held: list[tuple[float, Any, dict[str, Any]]] = []


@contextmanager
def aws_signals(
    emulator: Emulator,
    warp: SimulatedTime,
    *,
    region: str,
    functions: Mapping[str, str],
    delivery: str = "delivered",
) -> Iterator[AwsSignals]:
    """Put the stack's signal rules on the default bus (targets: `functions`, placeholder -> ARN) and
    deliver the emulator's events while a wait for a task token is in progress."""
    verify()
    state = AwsSignals()
    bus: Any = boto3.client("events", region_name=region)
    for rule in signal_rules(os.environ[names.ENV_JOBS_BUCKET]):
        bus.put_rule(Name=rule.name, EventPattern=json.dumps(rule.pattern))
        bus.put_targets(
            Rule=rule.name, Targets=[{"Id": "Target0", "Arn": functions[rule.function.placeholder]}]
        )

    released: list[dict[str, Any]] = []  # held events whose time has come

    def deliver() -> None:
        with warp.working():
            for event in emulator.take_events():
                entry = event.entry()
                state.published.append(entry)
                bus.put_events(Entries=[entry])
            due = [held for held in state.held if held[0] <= warp.now()]
            state.held = [held for held in state.held if held[0] > warp.now()]
            for _, rule, late in due:
                released.append(late)
                rule.send_to_targets(late, transform_input=False)

    def best_effort(rule: Any, event: dict[str, Any]) -> bool:
        """Whether S3's `event` goes to `rule`'s targets now (else dropped, or held for later)."""
        if any(event is late for late in released):
            released.remove(event)
            return True
        if event.get("source") != "aws.s3" or delivery == "delivered":
            return True
        if delivery == "delayed":
            state.held.append((warp.now() + DELAY_SECONDS, rule, event))
        return False

    with ExitStack() as stack:
        stack.enter_context(
            replaced(
                Rule, "send_to_targets", _invoking_functions(Rule.send_to_targets, state, region, best_effort)
            )
        )
        stack.enter_context(
            replaced(
                callback.StateTaskServiceCallback,
                _TOKEN_WAIT,
                _simulated_token_wait(
                    getattr(callback.StateTaskServiceCallback, _TOKEN_WAIT), warp, emulator, deliver, state
                ),
            )
        )
        try:
            yield state
        finally:
            state.open = False


def _invoking_functions(
    original: Callable[..., None],
    state: AwsSignals,
    region: str,
    best_effort: Callable[[Any, dict[str, Any]], bool],
) -> Callable[..., None]:
    def send_to_targets(self: Any, original_event: dict[str, Any], transform_input: bool = True) -> None:
        if not self.event_pattern.matches_event(original_event) or not best_effort(self, original_event):
            return
        functions = [target for target in self.targets if str(target["Arn"]).startswith("arn:aws:lambda:")]
        others = [target for target in self.targets if target not in functions]
        if others:
            rest = copy.copy(self)
            rest.targets = others
            original(rest, original_event, transform_input)
        if not functions:
            return
        if original_event.get("source") == "aws.s3":
            state.published.append(original_event)
        backend = get_backend(self.account_id, region)
        for target in functions:
            event = target_input(target, original_event)
            state.invocations.append((str(target["Arn"]), event))
            # EventBridge invokes asynchronously and retries; a failed invocation fails no run.
            backend.get_function(str(target["Arn"])).invoke(json.dumps(event), {}, {})

    return send_to_targets


def _simulated_token_wait(
    original: Callable[..., Any],
    warp: SimulatedTime,
    emulator: Emulator,
    deliver: Callable[[], None],
    state: AwsSignals,
) -> Callable[..., Any]:
    def eval_wait_for_task_token(
        self: Any,
        env: Any,
        timeout_seconds: int,
        callback_endpoint: CallbackEndpoint,
        heartbeat_endpoint: Any,
    ) -> Any:
        if heartbeat_endpoint is not None:  # no state of the product heartbeats
            return original(self, env, timeout_seconds, callback_endpoint, heartbeat_endpoint)
        deadline = warp.now() + timeout_seconds
        notified: threading.Event = getattr(callback_endpoint, _NOTIFIED)

        def waiting() -> bool:
            return state.open and env.is_running() and not notified.is_set()

        while waiting() and warp.now() < deadline:
            changes = [
                due for due in (emulator.next_change(), *(held[0] for held in state.held)) if due is not None
            ]
            target = min(deadline, max(min(changes), warp.now())) if changes else deadline
            warp.wait_until(target, callback_endpoint.wait, waiting)
            if waiting():
                deliver()
        outcome = callback_endpoint.get_outcome()
        if outcome is None and not env.is_running():
            # The execution stopped: the wait ends with nothing to report, as a Wait state's does
            # (a timeout would be an error, and the stopped execution would end FAILED).
            return CallbackOutcomeSuccess(callback_id=callback_endpoint.callback_id, output="null")
        return outcome or CallbackOutcomeTimedOut(callback_id=callback_endpoint.callback_id)

    return eval_wait_for_task_token
