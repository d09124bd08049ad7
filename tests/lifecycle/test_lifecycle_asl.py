"""Static checks of the lifecycle workflows' ASL files (the files deployed)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from pydantic import BaseModel

from functions.core.errors import terminal_error_names
from functions.workflows import (
    INTEGRATION_PLACEHOLDERS,
    LAMBDA_INVOKE,
    LAMBDA_TASKS,
    RESOURCE_PLACEHOLDERS,
    WORKFLOWS,
    get_workflow,
)
from functions.workflows.export_backup.backups import ImageExport, Selection
from functions.workflows.fleet_rollout.rollout import FleetProgress, RollbackProgress
from functions.workflows.managed_update.updates import UpdateCheck, UpdateCleanup, UpdatePhase
from functions.workflows.retention.policy import RetentionPhase
from tests.statemachines.test_image_pipeline_asl import (
    LAMBDA_ERRORS,
    RETRYABLE,
    assert_goes_on_to_its_check_however_it_ends,
    signal_waits,
    targets,
)

LIFECYCLE = ["export-backup", "managed-update", "fleet-rollout", "retention"]
# Task state -> the model its ResultSelector must carry whole (the next task validates it).
RESULT_MODELS: dict[str, type[BaseModel]] = {
    "SelectImages": Selection,
    "ExportImage": ImageExport,
    "CheckExport": ImageExport,
    "CheckUpdateAvailable": UpdateCheck,
    "CreateUpdatedImage": UpdatePhase,
    "CheckUpdatedImage": UpdatePhase,
    "Cleanup": UpdateCleanup,
    "InspectFleet": FleetProgress,
    "ApplyFleet": FleetProgress,
    "RollbackFleet": RollbackProgress,
    "PlanRetention": RetentionPhase,
    "ApplyRetention": RetentionPhase,
}


def every_state(node: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found = dict(node["States"])
    for state in node["States"].values():
        if "ItemProcessor" in state:
            found |= every_state(state["ItemProcessor"])
    return found


@pytest.fixture(params=LIFECYCLE)
def definition(request: pytest.FixtureRequest) -> dict[str, Any]:
    return dict(json.loads(get_workflow(request.param).definition.read_text()))


def test_it_is_jsonpath_and_starts_by_validating_its_own_request(definition: dict[str, Any]) -> None:
    assert definition.get("QueryLanguage", "JSONPath") == "JSONPath"
    # A stopped run's cleanup (functions.core.cancellation) is routed first; a request is validated.
    aborted = definition["States"][definition["StartAt"]]
    assert aborted["Type"] == "Choice" and aborted["Choices"][0]["Variable"] == "$.aborted_execution"
    start = definition["States"][aborted["Default"]]
    assert start["Parameters"]["FunctionName"] == "${LifecycleValidateFunctionArn}"
    assert start["Parameters"]["Payload"]["workflow"] in WORKFLOWS


def test_every_target_exists_and_every_state_is_reachable(definition: dict[str, Any]) -> None:
    for scope in [
        definition,
        *(s["ItemProcessor"] for s in definition["States"].values() if "ItemProcessor" in s),
    ]:
        states = scope["States"]
        reached, frontier = set(), [scope["StartAt"]]
        while frontier:
            name = frontier.pop()
            assert name in states, f"{name} does not exist"
            if name not in reached:
                reached.add(name)
                frontier.extend(targets(states[name]))
        assert reached == set(states)


def test_every_lambda_task_retries_with_full_jitter_and_catches_everything(
    definition: dict[str, Any],
) -> None:
    placeholders = {task.placeholder for task in LAMBDA_TASKS}
    waits = signal_waits(every_state(definition))
    for name, state in every_state(definition).items():
        if state["Type"] != "Task" or name in waits:  # a wait for a signal: the next test
            continue
        assert {c["ErrorEquals"][0] for c in state["Catch"]} == {"States.ALL"}, name
        retrying = [retrier for retrier in state["Retry"] if retrier.get("MaxAttempts") != 0]
        assert all(retrier["JitterStrategy"] == "FULL" for retrier in retrying), name
        if state["Resource"] != LAMBDA_INVOKE:
            continue
        function = re.fullmatch(r"\$\{(\w+)\}", state["Parameters"]["FunctionName"])
        assert function is not None and function.group(1) in placeholders, name
        retried = {error for retrier in state["Retry"] for error in retrier["ErrorEquals"]}
        assert retried >= LAMBDA_ERRORS | RETRYABLE, name


@pytest.mark.parametrize("workflow", LIFECYCLE)
def test_an_export_backup_s_wait_for_its_ami_goes_on_to_its_check_however_it_ends(workflow: str) -> None:
    states = every_state(json.loads(get_workflow(workflow).definition.read_text()))
    waits = signal_waits(states)
    assert set(waits) == ({"WaitForExport"} if workflow == "export-backup" else set())
    for name, wait in waits.items():
        assert_goes_on_to_its_check_however_it_ends(name, wait, states)


def test_a_crashed_task_is_tried_again_but_a_terminal_error_is_not(definition: dict[str, Any]) -> None:
    # The replay of a task whose Lambda crashed adopts what the first attempt created;
    # the errors no retry can fix go straight to the failure path, as in the pipeline.
    for name, state in every_state(definition).items():
        if state.get("Resource") != LAMBDA_INVOKE:
            continue
        *_, never, catch_all = state["Retry"]
        assert never == {"ErrorEquals": terminal_error_names(), "MaxAttempts": 0}, name
        assert catch_all["ErrorEquals"] == ["States.ALL"] and 1 <= catch_all["MaxAttempts"] <= 3, name


def test_a_failure_is_recorded_and_ends_in_a_fail_state(definition: dict[str, Any]) -> None:
    states = definition["States"]
    assert states["RecordFailure"]["Next"] == "Failed"
    assert states["Failed"] == {**states["Failed"], "Type": "Fail", "ErrorPath": "$.outcome.error"}
    assert states["RecordFailure"]["Catch"][0]["Next"] == "RunNotRecorded"


def test_every_placeholder_has_a_value(definition: dict[str, Any]) -> None:
    known = {task.placeholder for task in LAMBDA_TASKS} | {*RESOURCE_PLACEHOLDERS, *INTEGRATION_PLACEHOLDERS}
    known |= {workflow.placeholder for workflow in WORKFLOWS.values()}
    used = set(re.findall(r"\$\{(\w+)\}", json.dumps(definition)))
    assert used <= known, used - known


def test_result_selectors_carry_every_field_of_the_phase_models(definition: dict[str, Any]) -> None:
    for name, state in every_state(definition).items():
        if name in RESULT_MODELS and "ResultSelector" in state:
            selected = {key.removesuffix(".$") for key in state["ResultSelector"]}
            assert selected == set(RESULT_MODELS[name].model_fields), name


def test_exports_run_at_most_the_requested_number_at_once() -> None:
    states = json.loads(get_workflow("export-backup").definition.read_text())["States"]
    assert states["ExportImages"]["Type"] == "Map"
    assert states["ExportImages"]["MaxConcurrencyPath"] == "$.selection.max_concurrency"


def test_the_concurrent_update_limit_is_waited_out() -> None:
    states = json.loads(get_workflow("managed-update").definition.read_text())["States"]
    quota = next(
        r for r in states["CreateUpdatedImage"]["Retry"] if r["ErrorEquals"] == ["AppStreamQuotaExceeded"]
    )
    assert quota["IntervalSeconds"] * quota["MaxAttempts"] >= 3600  # about an hour of waiting at least
