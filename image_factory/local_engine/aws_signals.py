"""The signals AWS sends about a run (EC2's AMI state change), delivered to the waits they resume.

On AWS, a wait of the image pipeline is a `.waitForTaskToken` task (functions.core.signals): EC2
puts "EC2 AMI State Change" on the default event bus, the stack's rule invokes a function, and
that function sends the wait's token back. Here the emulator keeps the events other services
would send in an outbox (`Emulator.take_events`), and two seams carry them the rest of the way:

* `moto.events.models.Rule.send_to_targets`: moto 5.2.5 matches events to rules but sends
  nothing to a Lambda target (it raises NotImplementedError); the seam invokes the function's
  handler in-process, as the in-process invoker runs every task.
* `StateTaskServiceCallback._wait_for_task_token_timeout(self, timeout_seconds, endpoint)`:
  moto waits for the token in real time. The seam waits on the simulated clock instead, and since
  the emulator moves only when called, it wakes at each of the emulator's scheduled changes,
  settles them and delivers the events they sent (the wait stands for everything EC2 and
  EventBridge would be doing meanwhile). The wait ends when the token comes back, when moto
  interrupts it (a `.sync` task's companion wait, once the nested execution has ended), or when
  it times out.

moto's interpreter supports `.waitForTaskToken` on Lambda tasks, TimeoutSecondsPath and
SendTaskSuccess as they are; `verify` checks what the seams rely on, so an upgrade fails loudly.
"""

from __future__ import annotations

import copy
import inspect
import json
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
from moto.stepfunctions.parser.asl.eval.callback.callback import CallbackEndpoint

from appstream_emulator.core import Emulator
from image_factory.local_engine.event_rules import target_input
from image_factory.local_engine.seams import EngineIncompatible, replaced
from image_factory.local_engine.timewarp import SimulatedTime
from stacks.signal_rules import SIGNAL_RULES

_TOKEN_WAIT = "_wait_for_task_token_timeout"
# Set by a token's outcome and by `interrupt_all`: either ends the wait.
_NOTIFIED = "_notify_event"


def verify() -> None:
    wait = getattr(callback.StateTaskServiceCallback, _TOKEN_WAIT, None)
    parameters = list(inspect.signature(wait).parameters) if callable(wait) else []
    if parameters != ["self", "timeout_seconds", "callback_endpoint"]:
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


@contextmanager
def aws_signals(
    emulator: Emulator, warp: SimulatedTime, *, region: str, functions: Mapping[str, str]
) -> Iterator[AwsSignals]:
    """Put the stack's signal rules on the default bus (targets: `functions`, placeholder -> ARN) and
    deliver the emulator's events while a wait for a task token is in progress."""
    verify()
    state = AwsSignals()
    bus: Any = boto3.client("events", region_name=region)
    for rule in SIGNAL_RULES:
        bus.put_rule(Name=rule.name, EventPattern=json.dumps(rule.pattern))
        bus.put_targets(
            Rule=rule.name, Targets=[{"Id": "Target0", "Arn": functions[rule.function.placeholder]}]
        )

    def deliver() -> None:
        with warp.working():
            for event in emulator.take_events():
                entry = event.entry()
                state.published.append(entry)
                bus.put_events(Entries=[entry])

    with ExitStack() as stack:
        stack.enter_context(
            replaced(Rule, "send_to_targets", _invoking_functions(Rule.send_to_targets, state, region))
        )
        stack.enter_context(
            replaced(
                callback.StateTaskServiceCallback,
                _TOKEN_WAIT,
                _simulated_token_wait(warp, emulator, deliver, state),
            )
        )
        try:
            yield state
        finally:
            state.open = False


def _invoking_functions(original: Callable[..., None], state: AwsSignals, region: str) -> Callable[..., None]:
    def send_to_targets(self: Any, original_event: dict[str, Any], transform_input: bool = True) -> None:
        functions = [target for target in self.targets if str(target["Arn"]).startswith("arn:aws:lambda:")]
        others = [target for target in self.targets if target not in functions]
        if others:
            rest = copy.copy(self)
            rest.targets = others
            original(rest, original_event, transform_input)
        if not functions or not self.event_pattern.matches_event(original_event):
            return
        backend = get_backend(self.account_id, region)
        for target in functions:
            event = target_input(target, original_event)
            state.invocations.append((str(target["Arn"]), event))
            # EventBridge invokes asynchronously and retries; a failed invocation fails no run.
            backend.get_function(str(target["Arn"])).invoke(json.dumps(event), {}, {})

    return send_to_targets


def _simulated_token_wait(
    warp: SimulatedTime, emulator: Emulator, deliver: Callable[[], None], state: AwsSignals
) -> Callable[[Any, int, CallbackEndpoint], Any]:
    def wait_for_task_token_timeout(
        self: Any, timeout_seconds: int, callback_endpoint: CallbackEndpoint
    ) -> Any:
        deadline = warp.now() + timeout_seconds
        notified: threading.Event = getattr(callback_endpoint, _NOTIFIED)

        def waiting() -> bool:
            return state.open and not notified.is_set()

        while waiting() and warp.now() < deadline:
            change = emulator.next_change()
            target = deadline if change is None else min(deadline, max(change, warp.now()))
            warp.wait_until(target, callback_endpoint.wait, waiting)
            if waiting():
                deliver()
        return callback_endpoint.get_outcome()

    return wait_for_task_token_timeout
