"""A run on the local engine whose role lacks a grant its functions use is refused, naming the call."""

from __future__ import annotations

import pytest

from functions.workflows import WORKFLOWS
from image_factory.local_engine.resources import state_machine_name
from tests.engine.pipeline_support import fast_engine, fast_request
from tests.permissions.interception import STATE_MACHINE, CheckedCalls, checked_calls
from tests.permissions.policy_check import RolePolicy

pytestmark = pytest.mark.slow


def test_a_run_whose_role_lacks_create_image_builder_is_refused_at_that_call(
    deployed_policies: dict[str, RolePolicy],
) -> None:
    reduced = {
        handler: policy.without("appstream:CreateImageBuilder")
        for handler, policy in deployed_policies.items()
    }
    with checked_calls(CheckedCalls(reduced)) as checked, fast_engine() as engine:
        outcome = engine.run(fast_request("from-existing-image"))

    assert outcome.status == "SUCCEEDED", outcome.error  # checking never changes what the run does
    builder = "arn:aws:appstream:us-east-1:123456789012:image-builder/"
    refused = sorted(set(checked.unknown))
    assert refused, "the missing grant went unnoticed"
    assert all(
        line.startswith(
            "functions.workflows.image_pipeline.tasks.create_builder: appstream:CreateImageBuilder on "
        )
        for line in refused
    )
    assert any(builder in line for line in refused)
    # The full policy allows the same run.
    with checked_calls(CheckedCalls(deployed_policies)) as full, fast_engine() as engine:
        engine.run(fast_request("from-existing-image"))
    assert full.roles and not full.refused


def test_every_workflow_state_machine_is_checked_against_its_own_deployed_role(
    deployed_policies: dict[str, RolePolicy],
) -> None:
    machines = {
        key: policy.role for key, policy in deployed_policies.items() if key.startswith(STATE_MACHINE)
    }
    assert sorted(machines) == sorted(STATE_MACHINE + state_machine_name(name) for name in WORKFLOWS)
    assert len(set(machines.values())) == len(WORKFLOWS)  # one role each, none of a function's

    key = STATE_MACHINE + state_machine_name("image-pipeline")
    reduced = {**deployed_policies, key: deployed_policies[key].without("lambda:InvokeFunction")}
    with checked_calls(CheckedCalls(reduced)) as checked, fast_engine() as engine:
        outcome = engine.run(fast_request("from-existing-image"))

    assert outcome.status == "SUCCEEDED", outcome.error
    refused = sorted(set(checked.unknown))
    assert refused and all(
        line.startswith(f"{key}: lambda:InvokeFunction on arn:aws:lambda:") for line in refused
    )
    assert any(line.endswith(":function:CreateBuilder") for line in refused)
