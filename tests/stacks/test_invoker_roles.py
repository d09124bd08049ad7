"""The roles that start runs may start their own targets and nothing else, judged by iam-simulate.

Schedules (EventBridge Scheduler) and event rules start state machines with roles of their
own; no local run assumes them, so their synthesized policies are evaluated here, request by
request, by the same outside evaluator that judges the functions' calls
(`tests.permissions.simulator`). A schedule's role also delivers its dead letters: "your
schedule execution role needs the following permission: sqs:SendMessage"
(https://docs.aws.amazon.com/scheduler/latest/UserGuide/configuring-schedule-dlq.html).
"""

from __future__ import annotations

from typing import Any

from tests.permissions.simulator import Ask, Simulator, simulated_documents
from tests.permissions.template_policies import Resolver
from tests.stacks.conftest import Synth


def _starters(synth: Synth) -> list[tuple[str, str, str, str | None]]:
    """(what, role, target state machine, dead-letter queue a schedule's role must reach)"""
    found = []
    for name, schedule in synth.resources("AWS::Scheduler::Schedule").items():
        target = schedule["Properties"]["Target"]
        queue = target.get("DeadLetterConfig", {}).get("Arn", {}).get("Fn::GetAtt", [None])[0]
        found.append((name, target["RoleArn"]["Fn::GetAtt"][0], target["Arn"]["Ref"], queue))
    for name, rule in synth.resources("AWS::Events::Rule").items():
        for target in rule["Properties"].get("Targets", []):
            if "RoleArn" in target:
                found.append((name, target["RoleArn"]["Fn::GetAtt"][0], target["Arn"]["Ref"], None))
    return found


def _refused(simulator: Simulator, resolver: Resolver, role: str, *requests: tuple[str, str]) -> list[str]:
    documents = {role: simulated_documents(resolver.role_policies(role))}
    return simulator.refusals([Ask(role, action, resource, ()) for action, resource in requests], documents)


def _arn(resolver: Resolver, logical: str, attribute: str | None = None) -> Any:
    return resolver.resolve({"Fn::GetAtt": [logical, attribute]} if attribute else {"Ref": logical})


def test_each_starting_role_may_start_its_target_and_no_other_state_machine(
    synth: Synth, iam_simulator: Simulator
) -> None:
    resolver = Resolver(synth.raw)
    machines = list(synth.resources("AWS::StepFunctions::StateMachine"))
    starters = _starters(synth)
    # The example has both kinds: schedules with a dead-letter queue, and event rules.
    assert any(queue for *_, queue in starters) and any(queue is None for *_, queue in starters)
    assert len({role for _, role, _, _ in starters}) >= 2  # schedules and rules of several targets

    for what, role, target, queue in starters:
        assert (
            _refused(iam_simulator, resolver, role, ("states:StartExecution", _arn(resolver, target))) == []
        ), what
        if queue is not None:
            dead_letters = ("sqs:SendMessage", _arn(resolver, queue, "Arn"))
            assert _refused(iam_simulator, resolver, role, dead_letters) == [], what
        own = {t for _, r, t, _ in starters if r == role}
        others = [
            ("states:StartExecution", _arn(resolver, machine)) for machine in machines if machine not in own
        ]
        assert len(_refused(iam_simulator, resolver, role, *others)) == len(others), what
