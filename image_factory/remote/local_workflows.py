"""Every lifecycle workflow's state machine next to the engine's image pipeline, for the local API.

A deployed API starts any workflow of the stack; the local engine creates only the
workflow it runs (and those it starts). This adds the others to the engine's moto
account, each from its registered ASL file with the same functions and resources, so
runs the local API starts are the runs those workflows make on their own.
"""

from __future__ import annotations

import os
from typing import Any

import boto3

from functions.workflows import DEFAULT_WORKFLOW, LAMBDA_TASKS, RESOURCE_PLACEHOLDERS, WORKFLOWS
from image_factory.local_engine.definition import load_definition
from image_factory.local_engine.resources import ROLE, state_machine_name


def deploy_lifecycle_workflows(region: str) -> dict[str, str]:
    """Create the lifecycle state machines the engine lacks; every lifecycle workflow -> its ARN.

    Call inside the engine (its moto account and environment are active)."""
    sfn = boto3.client("stepfunctions", region_name=region)
    existing = {
        machine["name"]: machine["stateMachineArn"] for machine in sfn.list_state_machines()["stateMachines"]
    }
    role_arn = boto3.client("iam", region_name=region).get_role(RoleName=ROLE)["Role"]["Arn"]
    values = {**_resource_values(), **_function_arns(region)}
    # A workflow may start another (a managed update its export backup): every one is addressable.
    account = role_arn.split(":")[4]
    for workflow in WORKFLOWS.values():
        name = state_machine_name(workflow.name)
        values[workflow.placeholder] = f"arn:aws:states:{region}:{account}:stateMachine:{name}"
    arns: dict[str, str] = {}
    for workflow in WORKFLOWS.values():
        if workflow.name == DEFAULT_WORKFLOW:
            continue
        name = state_machine_name(workflow.name)
        if name not in existing:
            existing[name] = sfn.create_state_machine(
                name=name,
                definition=load_definition(workflow.definition, values),
                roleArn=role_arn,
                type="STANDARD",
            )["stateMachineArn"]
        arns[workflow.name] = existing[name]
    return arns


def _resource_values() -> dict[str, str]:
    # The engine put each resource's name in the environment the functions read.
    return {placeholder: os.environ[variable] for placeholder, variable in RESOURCE_PLACEHOLDERS.items()}


def _function_arns(region: str) -> dict[str, Any]:
    client = boto3.client("lambda", region_name=region)
    return {
        task.placeholder: client.get_function(FunctionName=task.name)["Configuration"]["FunctionArn"]
        for task in LAMBDA_TASKS
    }
