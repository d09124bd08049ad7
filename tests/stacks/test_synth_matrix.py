"""The synth matrix: each configuration of tests/stacks/configs synthesizes, and does what it says.

`lean` and `full` between them set every documented setting both ways (the example sets the
rest) and use every trigger. The outside judges run on each of them in test_checks.py and
test_iam_policies.py; a configuration mistake stops `python app.py` with exit status 1.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from stacks.bundling import PROJECT_ROOT
from stacks.config import DeploymentConfig, Settings, load_config
from stacks.house import LOG_GROUP_NAME_LIMIT, VENDED_LOGS_PREFIX
from stacks.signal_rules import signal_rules
from tests.stacks.conftest import CONFIGS, EXAMPLE, Synth, matrix_params

LEAN = pytest.mark.xdist_group("synth-lean")
FULL = pytest.mark.xdist_group("synth-full")
LOG_GROUP_NAME = re.compile(r"^[A-Za-z0-9_./#-]+$")


def _config(name: str) -> DeploymentConfig:
    return load_config(
        PROJECT_ROOT / "stacks" / "pipelines.example.yaml" if name == EXAMPLE else CONFIGS / f"{name}.yaml"
    )


def test_the_matrix_sets_every_setting_both_ways() -> None:
    """Keeps the matrix honest when a setting is added: each documented one takes two values."""
    configs = [_config(name) for name in ("example", "lean", "full")]
    for field in Settings.model_fields:
        values = {json.dumps(getattr(config.settings, field)) for config in configs}
        assert len(values) >= 2, f"settings.{field} is {values} in every configuration of the matrix"
    assert any(config.lifecycle is None for config in configs)
    assert any(len([p for p in config.pipelines if p.image_builder]) >= 2 for config in configs)


@pytest.mark.parametrize("name", matrix_params())
def test_state_machine_log_groups_have_distinct_valid_names(
    synths: Callable[[str], Synth], name: str
) -> None:
    synth = synths(name)
    groups = [
        group["Properties"]["LogGroupName"]
        for group in synth.resources("AWS::Logs::LogGroup").values()
        if "LogGroupName" in group["Properties"]
    ]
    starters = [p for p in _config(name).pipelines if p.image_builder is not None]
    assert len([g for g in groups if g.endswith("/Starter")]) == len(starters)
    assert len(groups) == len(set(groups)), groups
    for group in groups:
        assert group.startswith(VENDED_LOGS_PREFIX + synth.stack.stack_name + "/")
        assert len(group) <= LOG_GROUP_NAME_LIMIT and LOG_GROUP_NAME.match(group), group


def _api_account_settings(synth: Synth) -> tuple[dict[str, Any], dict[str, Any]]:
    return synth.resources("AWS::ApiGateway::Account"), {
        key: role
        for key, role in synth.resources("AWS::IAM::Role").items()
        if "AmazonAPIGatewayPushToCloudWatchLogs" in json.dumps(role["Properties"].get("ManagedPolicyArns"))
    }


@pytest.mark.parametrize("name", [pytest.param(EXAMPLE), pytest.param("lean", marks=LEAN)])
def test_by_default_the_account_wide_api_gateway_logging_role_is_left_alone(
    synths: Callable[[str], Synth], name: str
) -> None:
    synth = synths(name)
    assert _api_account_settings(synth) == ({}, {})
    # The API still logs, through the role the account already has.
    (stage,) = synth.resources("AWS::ApiGateway::Stage").values()
    assert "DestinationArn" in stage["Properties"]["AccessLogSetting"]
    assert stage["Properties"]["MethodSettings"][0]["LoggingLevel"] == "INFO"


@FULL
def test_asked_for_the_api_gateway_logging_role_is_created_and_kept(synths: Callable[[str], Synth]) -> None:
    accounts, roles = _api_account_settings(synths("full"))
    ((account,),) = [list(accounts.values())]
    ((role_id, role),) = list(roles.items())
    assert account["Properties"]["CloudWatchRoleArn"] == {"Fn::GetAtt": [role_id, "Arn"]}
    assert account["DeletionPolicy"] == role["DeletionPolicy"] == "Retain"


def _reserved(synth: Synth) -> list[int | None]:
    return [
        function["Properties"].get("ReservedConcurrentExecutions")
        for function in synth.resources("AWS::Lambda::Function").values()
    ]


@pytest.mark.parametrize("name", [pytest.param("lean", marks=LEAN), pytest.param("full", marks=FULL)])
def test_task_concurrency_reserves_that_many_or_nothing(synths: Callable[[str], Synth], name: str) -> None:
    expected = _config(name).settings.task_concurrency
    reserved = [value for value in _reserved(synths(name)) if value is not None]
    assert reserved == ([expected] * len(reserved) if expected else [])
    assert reserved or expected is None


@pytest.mark.parametrize("name", [pytest.param("lean", marks=LEAN), pytest.param("full", marks=FULL)])
def test_retain_data_decides_what_a_stack_delete_keeps(synths: Callable[[str], Synth], name: str) -> None:
    synth = synths(name)
    (table,) = synth.resources("AWS::DynamoDB::Table").values()
    assert table["DeletionPolicy"] == ("Retain" if _config(name).settings.retain_data else "Delete")


@pytest.mark.parametrize("name", [pytest.param("lean", marks=LEAN), pytest.param("full", marks=FULL)])
def test_one_schedule_per_configured_schedule_each_as_configured(
    synths: Callable[[str], Synth], name: str
) -> None:
    config = _config(name)
    configured = [schedule for pipeline in config.pipelines for schedule in pipeline.schedules]
    if config.lifecycle is not None:
        for section in ("export_backups", "managed_updates", "fleet_rollouts", "retention"):
            configured += [s for job in getattr(config.lifecycle, section) for s in job.schedules]
    deployed = [s["Properties"] for s in synths(name).resources("AWS::Scheduler::Schedule").values()]
    assert sorted(
        (s["ScheduleExpression"], s["ScheduleExpressionTimezone"], s["State"]) for s in deployed
    ) == sorted((s.expression, s.time_zone, "ENABLED" if s.enabled else "DISABLED") for s in configured)


def _write(tmp_path: Path, document: dict[str, Any]) -> Path:
    path = tmp_path / "pipelines.yaml"
    path.write_text(yaml.safe_dump(document))
    return path


def test_a_configuration_mistake_stops_the_app_naming_the_field(tmp_path: Path) -> None:
    # Two mistakes in one document: the app names each (one start of the app, not one per mistake).
    mistakes = {"api_gateway_cloudwatch_role": "sometimes", "task_concurrency": 0}
    document = yaml.safe_load((CONFIGS / "lean.yaml").read_text())
    document["settings"].update(mistakes)
    environment = {
        **os.environ,
        "CDK_CONTEXT_JSON": json.dumps({"stage": "mistake", "config": str(_write(tmp_path, document))}),
        "CDK_OUTDIR": str(tmp_path / "cdk.out"),
    }
    run = subprocess.run(
        [sys.executable, "app.py"], cwd=PROJECT_ROOT, env=environment, capture_output=True, text=True
    )
    assert run.returncode == 1, run.stderr
    (line,) = [line for line in run.stderr.splitlines() if "pipelines.yaml: " in line]
    for field in mistakes:
        assert f"settings.{field}: " in line, line
    assert "Traceback" not in run.stderr
    assert not list((tmp_path / "cdk.out").glob("*.template.json"))


@pytest.mark.parametrize("name", [pytest.param("lean", marks=LEAN), pytest.param("full", marks=FULL)])
def test_one_event_rule_per_image_builder_trigger_and_chained_rollout(
    synths: Callable[[str], Synth], name: str
) -> None:
    config = _config(name)
    rules = [
        rule["Properties"]["EventPattern"] for rule in synths(name).resources("AWS::Events::Rule").values()
    ]
    sources = sorted(json.dumps(rule["source"]) for rule in rules)
    chained = [
        job for job in (config.lifecycle.fleet_rollouts if config.lifecycle else ()) if job.chained_after()
    ]
    image_builder = [pipeline for pipeline in config.pipelines if pipeline.image_builder is not None]
    assert sources == sorted(
        [json.dumps([{"anything-but": ["image-factory"]}])]  # Start Image Factory Run events
        + [json.dumps(["aws.imagebuilder"])] * len(image_builder)
        + [json.dumps(["image-factory"])] * len(chained)
        + [json.dumps(["aws.states"])] * 5  # each workflow's stopped runs start their cleanup
        + [json.dumps(rule.pattern["source"]) for rule in signal_rules("jobs")]  # signals that resume waits
    )
