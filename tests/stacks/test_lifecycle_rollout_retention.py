"""Fleet rollout and retention in the template: their state machines, schedules and permissions."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from functions import workflows
from functions.core import names
from functions.workflows import get_workflow
from stacks import asl
from stacks.config import load_config
from stacks.rollout_chain import (
    UPDATED_IMAGE_PATH,
    new_image_path,
    run_succeeded_pattern,
    update_made_image_pattern,
)
from tests.stacks.conftest import Synth

EXAMPLE = load_config(Path(__file__).resolve().parents[2] / "stacks" / "pipelines.example.yaml")
assert EXAMPLE.lifecycle is not None
JOBS = {"fleet-rollout": EXAMPLE.lifecycle.fleet_rollouts, "retention": EXAMPLE.lifecycle.retention}


def _machine(synth: Synth, workflow: str) -> tuple[str, dict[str, Any]]:
    definition = asl.read_definition(get_workflow(workflow).definition)
    found = [
        (key, machine["Properties"])
        for key, machine in synth.resources("AWS::StepFunctions::StateMachine").items()
        if machine["Properties"].get("DefinitionString") == definition
    ]
    assert len(found) == 1, f"one state machine from {workflow}'s ASL file"
    return found[0]


def _statements(synth: Synth) -> list[dict[str, Any]]:
    return [
        statement
        for policy in synth.resources("AWS::IAM::Policy").values()
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


def _actions(statement: dict[str, Any]) -> list[str]:
    action = statement["Action"]
    return action if isinstance(action, list) else [action]


@pytest.mark.parametrize("workflow", ["fleet-rollout", "retention"])
def test_the_workflow_is_its_asl_file_with_every_task_function_filled_in(synth: Synth, workflow: str) -> None:
    _, machine = _machine(synth, workflow)
    used = asl.placeholders(machine["DefinitionString"])
    assert used == set(machine["DefinitionSubstitutions"])
    handlers = {
        key: fn["Properties"]["Handler"] for key, fn in synth.resources("AWS::Lambda::Function").items()
    }
    prefix = "Rollout" if workflow == "fleet-rollout" else "Retention"
    own = [task for task in workflows.LAMBDA_TASKS if task.name.startswith(prefix)]
    assert own and all(task.placeholder in used for task in own)
    for task in own:
        logical_id, _ = machine["DefinitionSubstitutions"][task.placeholder]["Fn::GetAtt"]
        assert handlers[logical_id] == task.handler


@pytest.mark.parametrize("workflow", ["fleet-rollout", "retention"])
def test_each_configured_job_is_scheduled_with_its_stored_request(synth: Synth, workflow: str) -> None:
    machine_id, _ = _machine(synth, workflow)
    schedules = [
        resource["Properties"]
        for resource in synth.resources("AWS::Scheduler::Schedule").values()
        if resource["Properties"]["Target"]["Arn"] == {"Ref": machine_id}
    ]
    expected = [(job, schedule) for job in JOBS[workflow] for schedule in job.schedules]
    assert expected and len(schedules) == len(expected)
    for (job, schedule), properties in zip(expected, schedules, strict=True):
        assert properties["ScheduleExpression"] == schedule.expression
        assert properties["ScheduleExpressionTimezone"] == schedule.time_zone
        assert json.loads(properties["Target"]["Input"]) == job.request
        assert "DeadLetterConfig" in properties["Target"]


def test_the_example_retention_job_is_a_dry_run() -> None:
    assert [job.request.get("dry_run", True) for job in JOBS["retention"]] == [True]


def test_tasks_may_move_fleets_but_deregister_only_pipeline_tagged_amis(synth: Synth) -> None:
    statements = _statements(synth)
    fleet_actions = {"appstream:UpdateFleet", "appstream:StopFleet", "appstream:StartFleet"}
    fleet_grants = [s for s in statements if fleet_actions & set(_actions(s))]
    assert fleet_grants and all(s["Resource"] != "*" for s in fleet_grants)
    deregister = [s for s in statements if "ec2:DeregisterImage" in _actions(s)]
    assert deregister
    for statement in deregister:
        # Retention's any pipeline's; the image pipeline's (the AMI's copies) this stage's too.
        assert statement["Condition"]["Null"] == {f"aws:ResourceTag/{names.TAG_PIPELINE}": "false"}
        assert set(statement["Condition"]) <= {"Null", "StringEquals"}
    assert not [s for s in statements if "ec2:*" in _actions(s) or "ec2:TerminateInstances" in _actions(s)]


def _rules_starting(synth: Synth, machine_id: str) -> list[dict[str, Any]]:
    return [
        rule["Properties"]
        for rule in synth.resources("AWS::Events::Rule").values()
        if any(target["Arn"] == {"Ref": machine_id} for target in rule["Properties"].get("Targets", []))
    ]


def test_a_chained_job_rolls_out_each_image_its_pipeline_makes(synth: Synth) -> None:
    machine_id, _ = _machine(synth, "fleet-rollout")
    chained = [job for job in JOBS["fleet-rollout"] if job.after_pipeline]
    assert chained
    patterns = [run_succeeded_pattern(str(job.after_pipeline)) for job in chained]
    rules = [rule for rule in _rules_starting(synth, machine_id) if rule["EventPattern"] in patterns]
    assert len(rules) == len(chained)
    for job, rule in zip(chained, rules, strict=True):
        assert rule["EventPattern"] == run_succeeded_pattern(str(job.after_pipeline))
        target = rule["Targets"][0]
        transformer = target["InputTransformer"]
        assert list(transformer["InputPathsMap"].values()) == [new_image_path()]
        assert "DeadLetterConfig" in target
        template = transformer["InputTemplate"]
        for key in job.request:
            assert f'"{key}":' in template
        assert '"image_name":' in template


def test_a_job_chained_after_a_managed_update_rolls_out_only_images_the_update_made(synth: Synth) -> None:
    machine_id, _ = _machine(synth, "fleet-rollout")
    chained = [job for job in JOBS["fleet-rollout"] if job.after_managed_update]
    assert chained
    rules = {
        json.dumps(rule["EventPattern"], sort_keys=True): rule for rule in _rules_starting(synth, machine_id)
    }
    for job in chained:
        pattern = update_made_image_pattern(str(job.after_managed_update))
        assert pattern["detail"]["resources"] == {"update": {"image_name": [{"exists": True}]}}
        rule = rules[json.dumps(pattern, sort_keys=True)]
        target = rule["Targets"][0]
        transformer = target["InputTransformer"]
        assert list(transformer["InputPathsMap"].values()) == [UPDATED_IMAGE_PATH]
        key = next(iter(transformer["InputPathsMap"]))
        filled = json.loads(transformer["InputTemplate"].replace(f"<{key}>", '"the-new-image"'))
        assert filled == {**job.request, "image_name": "the-new-image"}
        assert target["RetryPolicy"]["MaximumRetryAttempts"] == 3
        assert "DeadLetterConfig" in target
