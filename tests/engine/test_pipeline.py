"""The real workflow (statemachines/image_pipeline.asl.json) end to end on the local engine."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from benchmarks.fast import FAST_SETTINGS
from functions.core import names
from image_factory.local_engine.engine import LocalEngine
from image_factory.local_engine.execution import LocalExecution
from image_factory.local_engine.summary import left_behind
from tests.engine.pipeline_support import fast_engine, fast_request, fast_scenario, run_record, task_errors

pytestmark = pytest.mark.slow


@pytest.mark.parametrize(
    ("request_name", "imports", "exports"),
    [
        ("reference", True, True),
        ("import-no-export", True, False),
        ("existing-image-export", False, True),
        ("from-existing-image", False, False),
    ],
)
@pytest.mark.usefixtures("deployed_permissions")
def test_a_pipeline_runs_to_the_end(request_name: str, imports: bool, exports: bool) -> None:
    request = fast_request(request_name)
    with fast_engine() as engine:
        outcome = engine.run(request)
        inventory = engine.inventory()
        slots = engine.builder_slots_in_use()
        record = run_record(engine, outcome.run_id)
        made = outcome.resources["snapshot"]["image_arn"]
        made_tags = engine.emulator.call("ListTagsForResource", {"ResourceArn": made})["Tags"]

    assert outcome.status == "SUCCEEDED", outcome.error
    assert {step.status for step in outcome.steps} == {"SUCCEEDED"}
    # The source step always runs: it imports the AMI, or only checks the existing image; its
    # history key tells the two apart.
    assert "source" in [step.name for step in outcome.steps]
    history = set((outcome.record or {})["phase_seconds"])
    (source_key,) = [key for key in history if key.split(":")[0] == "source"]
    assert (source_key in {"source:import", "source:import_validated"}) is imports
    assert (source_key == "source:existing") is not imports
    assert {"snapshot:agent", "builder"} <= history
    cleanup = next(step for step in outcome.steps if step.name == "cleanup")
    assert ("imported image" in str(cleanup.detail)) is imports
    assert ("export" in [step.name for step in outcome.steps]) is exports
    assert ("ami_id" in outcome.resources) is exports
    assert inventory["image_builders"] == []
    assert slots == 0
    assert record["status"] == "SUCCEEDED"
    images = {image["name"]: image["state"] for image in inventory["images"]}
    assert set(images.values()) == {"AVAILABLE"}
    assert len(images) == (2 if imports else 1)  # the imported image, if any, and the new one
    # The new image says how large it is (its builder's root volume): rollouts hold fleets to it.
    assert made_tags[names.TAG_VOLUME_GB] == str(request["builder"].get("root_volume_gb", 200))
    exported = [task for task in inventory["export_tasks"] if task["state"] == "COMPLETED"]
    assert [task["ami_id"] for task in exported] == ([outcome.resources["ami_id"]] if exports else [])


@pytest.mark.parametrize(
    ("scenario", "step", "code", "reason"),
    [
        # The preflight's dry run refuses the AMI before anything is imported.
        ("import-fails", "preflight", "AppStreamRequestRejected", "two EBS volumes"),
        ("validation-fails", "source", "ImageImportFailed", "VALIDATION_ERROR"),
        ("builder-fails", "builder", "ImageBuilderFailed", "could not be launched"),
        ("agent-job-fails", "snapshot", "SnapshotFailed", "exited with code 1603"),
        ("image-fails", "snapshot", "SnapshotFailed", "could not be captured"),
        ("export-fails", "export", "ExportFailed", "cannot write snapshots"),
        ("export-times-out", "export", "ExportFailed", "TIMED_OUT"),
    ],
)
@pytest.mark.usefixtures("deployed_permissions")
def test_a_fault_in_any_phase_fails_the_run_and_cleans_up(
    scenario: str, step: str, code: str, reason: str
) -> None:
    with fast_engine(fast_scenario(scenario)) as engine:
        outcome = engine.run(fast_request("reference"))
        inventory = engine.inventory()
        slots = engine.builder_slots_in_use()
        record = run_record(engine, outcome.run_id)

    assert outcome.status == "FAILED"
    assert outcome.error is not None
    assert (outcome.error.step, outcome.error.code) == (step, code)
    assert reason in outcome.error.message
    assert inventory["image_builders"] == []
    assert slots == 0
    assert record["status"] == "FAILED"
    assert record["error"] == {"step": step, "code": code, "message": outcome.error.message}
    failed_steps = [s.name for s in outcome.steps if s.status == "FAILED"]
    assert failed_steps == [step]
    # Every image the run leaves unusable is named, with how to remove it.
    unusable = [image["name"] for image in inventory["images"] if image["state"] != "AVAILABLE"]
    left = left_behind(outcome.steps)
    assert len(left) == len(unusable)
    for name, note in zip(unusable, left, strict=True):
        assert f"{name!r} FAILED: remove it with `aws appstream delete-image --name {name}`" in note


def test_a_throttling_storm_is_survived() -> None:
    with fast_engine(fast_scenario("throttling-storm")) as engine:
        outcome = engine.run(fast_request("reference"))
        errors = task_errors(engine)
        inventory = engine.inventory()

    assert outcome.status == "SUCCEEDED", outcome.error
    assert "AppStreamThrottled" in errors  # the storm did reach the workflow, which retried
    assert inventory["image_builders"] == []


def test_every_task_run_twice_creates_nothing_twice() -> None:
    from functions.workflows import LAMBDA_TASKS

    with fast_engine(replay={task.name for task in LAMBDA_TASKS}) as engine:
        outcome = engine.run(fast_request("reference"))
        inventory = engine.inventory()
        counters = engine.counters()
        slots = engine.builder_slots_in_use()

    assert outcome.status == "SUCCEEDED", outcome.error
    # Besides the tasks, the agent's result and the AMI state change invoked the functions that
    # resumed the snapshot's and the export's waits.
    signals = len(engine.aws_signals.invocations)
    assert signals == 2
    assert counters.lambda_invocations == 2 * outcome.lambda_attempts + signals
    assert len(inventory["images"]) == 2
    assert len(inventory["export_tasks"]) == 1
    assert inventory["image_builders"] == []
    assert slots == 0


def test_twice_as_many_runs_as_builder_slots_share_them() -> None:
    # Six runs on three slots take the same paths as twenty on ten (a run gets a slot, or polls
    # until one is freed); each run costs a few CPU seconds, so the smaller account tests as much.
    scenario = fast_scenario(quotas={"image_builders": 3})
    with fast_engine(scenario) as engine:
        executions = [engine.start(fast_request("from-existing-image")) for _ in range(6)]
        peak = 0
        while any(execution.is_running() for execution in executions):
            peak = max(peak, len(engine.inventory()["image_builders"]))
            time.sleep(0.02)
        outcomes = [execution.outcome() for execution in executions]
        errors = task_errors(engine)
        slots = engine.builder_slots_in_use()

    assert [outcome.status for outcome in outcomes] == ["SUCCEEDED"] * 6
    assert peak <= 3
    assert "AppStreamQuotaExceeded" not in errors  # no run ever met the emulated quota
    waited = [o for o in outcomes if next(s for s in o.steps if s.name == "builder_slot").polls > 1]
    assert waited, "with 6 runs and 3 slots, some runs must have waited for a slot"
    assert slots == 0


def _slot_state(execution: LocalExecution) -> str | None:
    _, steps = execution.records()
    return next((str(s.get("last_state")) for s in steps if s.get("step") == "builder_slot"), None)


def _until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 60
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert condition()


def test_runs_waiting_for_the_only_slot_get_it_in_the_order_they_asked() -> None:
    settings = {**FAST_SETTINGS, names.ENV_BUILDER_SLOT_LIMIT: "1"}
    with LocalEngine(fast_scenario(), settings=settings) as engine:
        first = engine.start(fast_request("from-existing-image"))
        _until(lambda: _slot_state(first) == "ACQUIRED")
        waiting = []
        for _ in range(4):  # each one asks, and finds the slot taken, before the next starts
            execution = engine.start(fast_request("from-existing-image"))
            _until(lambda execution=execution: _slot_state(execution) == "ALL_TAKEN")
            waiting.append(execution)
        for execution in [first, *waiting]:
            execution.wait(timeout=120)
        outcomes = [execution.outcome() for execution in waiting]

    assert [outcome.status for outcome in outcomes] == ["SUCCEEDED"] * 4
    acquired = [next(s for s in o.steps if s.name == "builder_slot").ended_at or 0 for o in outcomes]
    assert acquired == sorted(acquired), "a run that asked later got the slot first"


@pytest.mark.parametrize("request_name", ["reference", "from-existing-image"])
def test_an_image_holding_the_snapshot_name_fails_the_run_and_is_left_alone(request_name: str) -> None:
    # An image with no builder name and no run tag: imported, or made by a managed update.
    document = fast_request(request_name)
    document["snapshot"] = {**document.get("snapshot", {}), "image_name": "taken-by-someone-else"}
    scenario = fast_scenario(images=[{"name": "taken-by-someone-else", "tags": {"owner": "admin"}}])
    with fast_engine(scenario) as engine:
        outcome = engine.run(document)
        inventory = engine.inventory()
        slots = engine.builder_slots_in_use()
        calls = engine.counters().appstream_calls_by_operation

    assert outcome.status == "FAILED"
    assert outcome.error is not None
    # The preflight finds it before the run creates anything: seconds, not hours, and no import.
    assert (outcome.error.step, outcome.error.code) == ("preflight", "ResourceNameConflict")
    assert "CreateImportedImage" not in calls and "CreateImageBuilder" not in calls
    assert "taken-by-someone-else" in outcome.error.message
    assert "ami_id" not in outcome.resources
    assert inventory["export_tasks"] == []
    assert "taken-by-someone-else" in {image["name"] for image in inventory["images"]}
    assert inventory["image_builders"] == []
    assert slots == 0
