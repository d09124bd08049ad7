"""The lifecycle workflows in the stack: their ASL files, schedules from the config, and what they may do."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from functions.workflows import get_workflow
from stacks import asl
from stacks.config import ConfigError, load_config
from tests.stacks.conftest import Synth
from tests.stacks.test_config import _write

EXAMPLE = load_config(asl.PROJECT_ROOT / "stacks" / "pipelines.example.yaml")
LIFECYCLE = ["export-backup", "managed-update"]
OTHER_ROLE = "arn:aws:iam::123456789012:role/not-passable"


def _machine(synth: Synth, workflow: str) -> tuple[str, dict[str, Any]]:
    definition = asl.read_definition(get_workflow(workflow).definition)
    (found,) = [
        (key, machine["Properties"])
        for key, machine in synth.resources("AWS::StepFunctions::StateMachine").items()
        if machine["Properties"].get("DefinitionString") == definition
    ]
    return found


@pytest.mark.parametrize("workflow", LIFECYCLE)
def test_each_lifecycle_state_machine_is_its_asl_file_with_every_placeholder_filled(
    synth: Synth, workflow: str
) -> None:
    _, machine = _machine(synth, workflow)
    assert asl.placeholders(machine["DefinitionString"]) == set(machine["DefinitionSubstitutions"])
    assert machine["TracingConfiguration"] == {"Enabled": True}
    assert machine["LoggingConfiguration"]["IncludeExecutionData"] is False


@pytest.mark.parametrize(
    ("workflow", "section"), [("export-backup", "export_backups"), ("managed-update", "managed_updates")]
)
def test_configured_jobs_are_scheduled_with_their_stored_request(
    synth: Synth, workflow: str, section: str
) -> None:
    machine_id, _ = _machine(synth, workflow)
    schedules = [
        resource["Properties"]
        for resource in synth.resources("AWS::Scheduler::Schedule").values()
        if resource["Properties"]["Target"]["Arn"] == {"Ref": machine_id}
    ]
    assert EXAMPLE.lifecycle is not None
    jobs = getattr(EXAMPLE.lifecycle, section)
    expected = [(job, schedule) for job in jobs for schedule in job.schedules]
    assert len(schedules) == len(expected) > 0
    for (job, schedule), properties in zip(expected, schedules, strict=True):
        assert properties["ScheduleExpression"] == schedule.expression
        assert json.loads(properties["Target"]["Input"]) == {**job.request, "name": job.name}
        assert "DeadLetterConfig" in properties["Target"]


def test_a_managed_update_may_start_export_backups_and_nothing_else(synth: Synth) -> None:
    export_id, _ = _machine(synth, "export-backup")
    _, update = _machine(synth, "managed-update")
    role = update["RoleArn"]["Fn::GetAtt"][0]
    statements = [
        statement
        for policy in synth.resources("AWS::IAM::Policy").values()
        if {"Ref": role} in policy["Properties"]["Roles"]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]
    starts = [s for s in statements if "states:StartExecution" in json.dumps(s["Action"])]
    assert [s["Resource"] for s in starts] == [{"Ref": export_id}]
    follows = next(s for s in statements if "events:PutRule" in s["Action"])
    assert "StepFunctionsGetEventsForStepFunctionsExecutionRule" in json.dumps(follows["Resource"])


@pytest.mark.parametrize("workflow", LIFECYCLE)
def test_each_lifecycle_state_machine_is_a_stack_output(synth: Synth, workflow: str) -> None:
    machine_id, _ = _machine(synth, workflow)
    output = synth.raw["Outputs"][get_workflow(workflow).placeholder]
    assert output["Value"] == {"Ref": machine_id}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (
            {"lifecycle.export_backups.0.request.max_concurrency": 0},
            "lifecycle.export_backups[0].request.max_concurrency",
        ),
        ({"lifecycle.export_backups.0.request.images": {}}, "lifecycle.export_backups[0].request.images"),
        (
            {"lifecycle.managed_updates.0.request.then_export.role_arn": OTHER_ROLE},
            "lifecycle.managed_updates[0].request.then_export.role_arn",
        ),
        ({"lifecycle.managed_updates.0.request.name": "other-name"}, "lifecycle.managed_updates[0]"),
        (
            {"lifecycle.export_backups.0.schedules.0.time_zone": "Mars/Base"},
            "lifecycle.export_backups[0].schedules[0]",
        ),
    ],
)
def test_a_bad_lifecycle_job_stops_the_synth_naming_its_field(
    tmp_path: Path, change: dict[str, object], field: str
) -> None:
    with pytest.raises(ConfigError) as raised:
        load_config(_write(tmp_path, change))
    assert field in str(raised.value)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"lifecycle.fleet_rollouts.2.after_managed_update": "weekly-updates"},
            "lifecycle.fleet_rollouts[2].after_managed_update: 'weekly-updates' is not one of "
            "lifecycle.managed_updates[].name",
        ),
        (
            {"lifecycle.fleet_rollouts.1.after_pipeline": "kiosk"},
            "lifecycle.fleet_rollouts[1].after_pipeline: 'kiosk' is not one of pipelines[].name",
        ),
        (
            {"lifecycle.fleet_rollouts.2.request.image_name": "office-desktop-current"},
            "request.image_name: leave it out with after_managed_update",
        ),
        (
            {"lifecycle.fleet_rollouts.1.after_managed_update": "office-desktop-updates"},
            "after_managed_update: give after_pipeline or after_managed_update, not both",
        ),
        (
            {"lifecycle.fleet_rollouts.2.schedules": [{"expression": "rate(7 days)"}]},
            "schedules: a job chained with after_managed_update is started by its chain only",
        ),
    ],
    ids=["unknown-update-job", "unknown-pipeline", "image-given", "two-sources", "scheduled-too"],
)
def test_a_chained_rollout_job_names_what_it_follows(
    tmp_path: Path, change: dict[str, object], message: str
) -> None:
    with pytest.raises(ConfigError) as raised:
        load_config(_write(tmp_path, change))
    assert message in str(raised.value)


@pytest.mark.parametrize("workflow", ["export-backup", "managed-update", "fleet-rollout", "retention"])
def test_a_failed_or_timed_out_lifecycle_run_alarms_on_the_topic_and_shows_on_the_dashboard(
    synth: Synth, workflow: str
) -> None:
    machine_id, _ = _machine(synth, workflow)
    (topic,) = synth.resources("AWS::SNS::Topic")
    alarms = {
        alarm["Properties"]["MetricName"]: alarm["Properties"]
        for alarm in synth.resources("AWS::CloudWatch::Alarm").values()
        if {"Name": "StateMachineArn", "Value": {"Ref": machine_id}}
        in alarm["Properties"].get("Dimensions", [])
    }
    assert set(alarms) == {"ExecutionsFailed", "ExecutionsTimedOut"}
    for alarm in alarms.values():
        assert (alarm["Namespace"], alarm["Threshold"]) == ("AWS/States", 1)
        assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
        assert alarm["AlarmActions"] == [{"Ref": topic}]
    (dashboard,) = synth.resources("AWS::CloudWatch::Dashboard").values()
    body = json.dumps(dashboard["Properties"]["DashboardBody"])
    assert f"Runs: {workflow}" in body
    assert json.dumps({"Ref": machine_id}) in body
