"""A step has one name: the Lambda task's step record, its state's ResultPath and its history key.

A history variant or an item is written `step:variant` / `step:item`: the part before the colon is
the step's name (functions/workflows/image_pipeline/durations.py).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from functions.core import names
from functions.core.records import history_key
from functions.workflows.export_backup import backups
from functions.workflows.fleet_rollout import rollout
from functions.workflows.image_pipeline import (
    ami_distribution,
    builders,
    cleanup,
    distribution,
    durations,
    exports,
    imports,
    slots,
    snapshots,
)
from functions.workflows.image_pipeline.phases import PhaseName
from functions.workflows.managed_update import updates
from functions.workflows.retention import policy
from tests.functions.conftest import make_plan

SOURCES = Path(__file__).resolve().parents[2] / "statemachines"
# Tasks that keep the run itself (its record, plan, outcome or report), not one step of it.
RUN_TASKS = {
    "ValidateRequest", "RecordRun", "RecordSuccess", "RecordFailure", "RecordCancelled",
    "PlanCancellation", "Report",
}  # fmt: skip
# Each workflow's step tasks and the step record each writes, read from the service modules.
STEP_TASKS: dict[str, dict[str, str]] = {
    "image_pipeline": {
        "Preflight": "preflight",  # a check that keeps no state: its ResultPath is null
        "ImportImage": imports.STEP,
        "CheckImage": imports.STEP,
        "AcquireBuilderSlot": slots.STEP,
        "CreateBuilder": builders.STEP,
        "CheckBuilder": builders.STEP,
        "StartSnapshot": snapshots.STEP,
        "CheckSnapshot": snapshots.STEP,
        "CopyImage": distribution.STEP,
        "CheckCopies": distribution.STEP,
        "ShareImage": distribution.STEP,
        "ExportImage": exports.STEP,
        "CheckExport": exports.STEP,
        "CopyAmi": ami_distribution.STEP,
        "CheckAmiCopies": ami_distribution.STEP,
        "ShareAmi": ami_distribution.STEP,
        "Cleanup": cleanup.STEP,
    },
    "export_backup": {
        "SelectImages": backups.SELECTION_STEP,
        "ExportImage": backups.export_step("an-image"),
        "CheckExport": backups.export_step("an-image"),
    },
    "managed_update": {
        "CheckUpdateAvailable": updates.CHECK_STEP,
        "CreateUpdatedImage": updates.UPDATE_STEP,
        "CheckUpdatedImage": updates.UPDATE_STEP,
        "Cleanup": updates.CLEANUP_STEP,
    },
    "retention": {"PlanRetention": policy.PLAN_STEP, "ApplyRetention": policy.APPLY_STEP},
    "fleet_rollout": {
        "InspectFleet": rollout.ROLLOUT_STEP + "a-fleet",
        "ApplyFleet": rollout.ROLLOUT_STEP + "a-fleet",
        "RollbackFleet": rollout.ROLLBACK_STEP + "a-fleet",
    },
}
IMAGE_PIPELINE_PLANS = {
    "import": {},
    "import, validated": {"import": {"runtime_validation_instance_type": "stream.standard.medium"}},
    "existing image": {"source": {"image_name": "base"}},
    "manual snapshot": {"snapshot": {"mode": "manual"}},
}


def lambda_tasks(states: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for name, state in states.items():
        if state.get("Resource") == "${LambdaInvoke}":
            found[name] = state
        for inner in [state.get("ItemProcessor"), state.get("Iterator"), *state.get("Branches", [])]:
            if inner:
                found.update(lambda_tasks(inner["States"]))
    return found


def step_of(name: str) -> str:
    """The step a record or history key belongs to: `step`, `step:variant` or `step:item`."""
    return name.split(":", 1)[0]


@pytest.mark.parametrize("workflow", sorted(STEP_TASKS))
def test_every_lambda_task_has_a_step_record_named_as_its_result_path(workflow: str) -> None:
    tasks = lambda_tasks(json.loads((SOURCES / f"{workflow}.asl.json").read_text())["States"])

    assert set(tasks) - RUN_TASKS == set(STEP_TASKS[workflow])
    for state, step in STEP_TASKS[workflow].items():
        path = tasks[state]["ResultPath"]
        if path is None:
            continue
        assert path == f"$.{step_of(step)}", (state, step)


@pytest.mark.parametrize("overrides", IMAGE_PIPELINE_PLANS.values(), ids=list(IMAGE_PIPELINE_PLANS))
def test_every_image_pipeline_history_key_is_its_step_or_a_step_variant(overrides: dict[str, Any]) -> None:
    plan = make_plan(**overrides)
    tasks = lambda_tasks(json.loads((SOURCES / "image_pipeline.asl.json").read_text())["States"])

    for state, step in STEP_TASKS["image_pipeline"].items():
        if tasks[state]["ResultPath"] is None:
            continue  # a check: no wait, no history
        phase: PhaseName = tasks[state]["ResultPath"].removeprefix("$.")
        key = durations.history_key(plan, phase)
        assert step_of(key) == step, (state, key)
        assert key == history_key(step, durations.variant(plan, phase))
        assert key in durations.DEFAULT_CEILING


def test_the_source_and_snapshot_variants_are_the_ones_whose_durations_differ() -> None:
    keys = {
        label: (
            durations.history_key(make_plan(**o), "source"),
            durations.history_key(make_plan(**o), "snapshot"),
        )
        for label, o in IMAGE_PIPELINE_PLANS.items()
    }

    assert keys == {
        "import": ("source:import", "snapshot:agent"),
        "import, validated": ("source:import_validated", "snapshot:agent"),
        "existing image": ("source:existing", "snapshot:agent"),
        "manual snapshot": ("source:import", "snapshot:manual"),
    }
    assert cleanup.STEP == updates.CLEANUP_STEP == names.CLEANUP_STEP
