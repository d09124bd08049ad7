"""The run API may start, show and stop runs of exactly this stage's workflows, and knows their ARNs."""

from __future__ import annotations

from typing import Any

import pytest

from functions import workflows
from functions.core import names
from functions.workflows import DEFAULT_WORKFLOW, WORKFLOWS
from tests.stacks.conftest import Synth


def _api_function(synth: Synth) -> dict[str, Any]:
    (function,) = [
        function
        for function in synth.resources("AWS::Lambda::Function").values()
        if function["Properties"]["Handler"] == workflows.API_FUNCTION.handler
    ]
    return function


def _api_statements(synth: Synth) -> list[dict[str, Any]]:
    role = _api_function(synth)["Properties"]["Role"]["Fn::GetAtt"][0]
    return [
        statement
        for policy in synth.resources("AWS::IAM::Policy").values()
        if {"Ref": role} in policy["Properties"]["Roles"]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


def _granted(synth: Synth, action: str) -> list[Any]:
    resources: list[Any] = []
    for statement in _api_statements(synth):
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        if action in actions:
            found = statement["Resource"]
            resources += found if isinstance(found, list) else [found]
    return resources


def _state_machines(synth: Synth) -> set[str]:
    """The workflows' state machines, as the stack outputs name them (trigger starters are no workflow)."""
    outputs = synth.raw["Outputs"]
    keys = [
        "StateMachineArn",
        *(WORKFLOWS[name].placeholder for name in WORKFLOWS if name != DEFAULT_WORKFLOW),
    ]
    return {outputs[key]["Value"]["Ref"] for key in keys}


def test_the_api_gets_every_workflows_state_machine_by_environment(synth: Synth) -> None:
    variables = _api_function(synth)["Properties"]["Environment"]["Variables"]
    given = {variables[names.env_workflow_state_machine(workflow)]["Ref"] for workflow in WORKFLOWS}
    assert given == _state_machines(synth)
    assert len(given) == len(WORKFLOWS)


def test_the_api_starts_exactly_the_stages_workflows(synth: Synth) -> None:
    started = _granted(synth, "states:StartExecution")
    assert sorted(resource["Ref"] for resource in started) == sorted(_state_machines(synth))


@pytest.mark.parametrize("action", ["states:DescribeExecution", "states:StopExecution"])
def test_the_api_shows_and_stops_executions_of_those_workflows_only(synth: Synth, action: str) -> None:
    resources = _granted(synth, action)
    assert len(resources) == len(WORKFLOWS)
    for resource in resources:
        parts = resource["Fn::Join"][1]
        named = [part["Fn::GetAtt"][0] for part in parts if isinstance(part, dict) and "Fn::GetAtt" in part]
        assert len(named) == 1 and named[0] in _state_machines(synth), parts


def _actions(synth: Synth) -> set[str]:
    return {
        action
        for statement in _api_statements(synth)
        for action in (
            statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        )
    }


def test_the_api_passes_no_role_and_calls_nothing_in_appstream_ec2_or_lambda(synth: Synth) -> None:
    actions = _actions(synth)
    # A stopped run cleans up in its own state machine (stacks/cancel_cleanup.py), with its own role.
    assert not {a for a in actions if a.startswith(("iam:", "ec2:", "s3:", "sns:", "kms:", "appstream:"))}
    assert not {a for a in actions if a.startswith(("lambda:", "events:"))}, actions
    states = {a for a in actions if a.startswith("states:")}
    assert states == {"states:StartExecution", "states:DescribeExecution", "states:StopExecution"}


def test_the_api_only_reads_run_records(synth: Synth) -> None:
    """Records are written by the workflows alone: the API reads them."""
    for write in ("dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"):
        assert not _granted(synth, write), write
    assert _granted(synth, "dynamodb:GetItem") and _granted(synth, "dynamodb:Query")
