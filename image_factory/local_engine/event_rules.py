"""The deployment's rules on the local event buses, delivering to state machines.

The stack chains fleet rollouts after the runs that make images with EventBridge rules
(stacks/rollout_rules.py). Here the same rules are put on the local bus, with the fleet
rollout state machine as target and the input transformer the stack deploys. moto 5.2.5
matches events to rules but sends nothing to a Step Functions target, so one seam,
`moto.events.models.Rule.send_to_targets`, takes over its `states` targets: it fills in
the input transformer as EventBridge does and starts the execution in the same engine.

Delivery is synchronous (EventBridge's is not): the chained run has started before the
run that published the event records its end, so whoever waits for that run finds the
chained one already started. A rollout that cannot start (a request it refuses) is
recorded as an undelivered event, where EventBridge would retry and then dead-letter it.

The stage's cancel rules (stacks/cancel_rules.py) go on the default bus, where Step
Functions sends its status change events (status_events.py sends them here): a stopped
run's state machine starts its cleanup. Their deliveries are kept apart (`cleanups`), as
they are no chained runs.
"""

from __future__ import annotations

import copy
import inspect
import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import boto3
from moto.events.models import Rule

from functions.workflows import WORKFLOWS, get_workflow
from image_factory.local_engine.definition import load_definition
from image_factory.local_engine.execution import LocalExecution
from image_factory.local_engine.resources import EVENT_BUS, state_machine_name
from image_factory.local_engine.seams import EngineIncompatible, replaced
from stacks.cancel_rules import DEFAULT_BUS, cancel_rule
from stacks.rollout_rules import ROLLOUT_WORKFLOW, ChainRule, input_transformer

# Starts an execution of a state machine (ARN) with a request; the engine names and follows it.
Starter = Callable[[str, dict[str, Any]], LocalExecution]


@dataclass(frozen=True)
class Delivery:
    """A run event a rule matched: the execution it started, or why none started."""

    rule: str
    execution: LocalExecution | None
    error: str | None = None


class RunEventRules:
    def __init__(self, rules: Sequence[ChainRule]) -> None:
        self.rules = tuple(rules)
        self.deliveries: list[Delivery] = []
        self.cancel_rules: dict[str, str] = {}  # rule name -> the state machine it cleans up after
        self.cleanups: list[Delivery] = []


def verify() -> None:
    parameters = list(inspect.signature(Rule.send_to_targets).parameters)
    if parameters != ["self", "original_event", "transform_input"]:
        raise EngineIncompatible(f"moto's Rule.send_to_targets{parameters} changed: re-check {__name__}")


@contextmanager
def run_event_rules(
    rules: Sequence[ChainRule],
    *,
    region: str,
    role_arn: str,
    placeholders: Mapping[str, str],
    start: Starter,
) -> Iterator[RunEventRules]:
    """Put `rules` on the local run event bus and deliver what they match until the block ends."""
    verify()
    state = RunEventRules(rules)
    bus: Any = boto3.client("events", region_name=region)
    target = _deployed(ROLLOUT_WORKFLOW, region, role_arn, placeholders) if rules else ""
    for rule in rules:
        bus.put_rule(Name=rule.rule_id, EventBusName=EVENT_BUS, EventPattern=json.dumps(rule.pattern))
        bus.put_targets(
            Rule=rule.rule_id,
            EventBusName=EVENT_BUS,
            Targets=[{"Id": "Target0", "Arn": target, "InputTransformer": input_transformer(rule.input)}],
        )
    with replaced(Rule, "send_to_targets", _delivering(Rule.send_to_targets, state, start)):
        yield state


def put_cancel_rules(state: RunEventRules, region: str) -> None:
    """The cancel rule of every workflow's local state machine that has none yet, as the stack
    deploys one for each of its state machines."""
    sfn = boto3.client("stepfunctions", region_name=region)
    bus: Any = boto3.client("events", region_name=region)
    by_name = {state_machine_name(name): name for name in WORKFLOWS}
    for machine in sfn.list_state_machines()["stateMachines"]:
        workflow, arn = by_name.get(machine["name"]), str(machine["stateMachineArn"])
        if workflow is None or arn in state.cancel_rules.values():
            continue
        rule = cancel_rule(workflow, arn)
        bus.put_rule(Name=rule.rule_id, EventBusName=DEFAULT_BUS, EventPattern=json.dumps(rule.pattern))
        bus.put_targets(
            Rule=rule.rule_id,
            EventBusName=DEFAULT_BUS,
            Targets=[{"Id": "Target0", "Arn": arn, "InputTransformer": input_transformer(rule.input)}],
        )
        state.cancel_rules[rule.rule_id] = arn


def _deployed(workflow: str, region: str, role_arn: str, placeholders: Mapping[str, str]) -> str:
    """The workflow's local state machine, created unless the engine runs it already."""
    sfn = boto3.client("stepfunctions", region_name=region)
    name = state_machine_name(workflow)
    existing = [machine for machine in sfn.list_state_machines()["stateMachines"] if machine["name"] == name]
    if existing:
        return str(existing[0]["stateMachineArn"])
    definition = load_definition(get_workflow(workflow).definition, placeholders)
    return str(
        sfn.create_state_machine(name=name, definition=definition, roleArn=role_arn, type="STANDARD")[
            "stateMachineArn"
        ]
    )


def _delivering(original: Callable[..., None], state: RunEventRules, start: Starter) -> Callable[..., None]:
    def send_to_targets(self: Any, original_event: dict[str, Any], transform_input: bool = True) -> None:
        machines = [target for target in self.targets if str(target["Arn"]).startswith("arn:aws:states:")]
        others = [target for target in self.targets if target not in machines]
        if others:  # moto delivers to the targets it knows (queues, log groups, buses)
            rest = copy.copy(self)
            rest.targets = others
            original(rest, original_event, transform_input)
        if not machines or not self.event_pattern.matches_event(original_event):
            return
        delivered = state.cleanups if self.name in state.cancel_rules else state.deliveries
        for target in machines:
            try:
                execution = start(str(target["Arn"]), target_input(target, original_event))
            except Exception as error:  # a refused start must not fail the run that published
                delivered.append(Delivery(self.name, None, f"{type(error).__name__}: {error}"))
            else:
                delivered.append(Delivery(self.name, execution))

    return send_to_targets


def target_input(target: Mapping[str, Any], event: Mapping[str, Any]) -> dict[str, Any]:
    """What the target receives: its constant Input, its transformed event, or the event itself."""
    if "Input" in target:
        return dict(json.loads(target["Input"]))
    transformer = target.get("InputTransformer")
    if transformer is None:
        return dict(json.loads(json.dumps(event, default=str)))
    return dict(json.loads(transformed(transformer["InputTemplate"], transformer["InputPathsMap"], event)))


_PLACEHOLDER = re.compile(r"<([A-Za-z0-9_.-]+)>")


def transformed(template: str, paths: Mapping[str, str], event: Mapping[str, Any]) -> str:
    """EventBridge's input transformer: a placeholder outside quotes takes the value as JSON (a
    string arrives quoted); inside a JSON string it takes the value's text, escaped for that string.
    A path the event lacks gives null (outside quotes) or nothing (inside)."""
    values = {key: _at_path(event, path) for key, path in paths.items()}
    pieces: list[str] = []
    in_string = escaped = False
    index = 0
    while index < len(template):
        char = template[index]
        found = _PLACEHOLDER.match(template, index) if char == "<" else None
        if found is not None and found.group(1) in values:
            value = values[found.group(1)]
            if in_string:
                text = value if isinstance(value, str) else ("" if value is None else json.dumps(value))
                pieces.append(json.dumps(text)[1:-1])
            else:
                pieces.append(json.dumps(value))
            index = found.end()
            continue
        if in_string and escaped:
            escaped = False
        elif in_string and char == "\\":
            escaped = True
        elif char == '"':
            in_string = not in_string
        pieces.append(char)
        index += 1
    return "".join(pieces)


def _at_path(event: Mapping[str, Any], path: str) -> Any:
    value: Any = event
    for part in path.removeprefix("$.").split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value
