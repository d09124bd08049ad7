"""Fleets and images in the emulated account, for end-to-end tests of fleet rollout and retention."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from appstream_emulator.scenario import Scenario
from functions.core import names
from functions.core.settings import get_settings
from functions.workflows import WORKFLOWS, get_workflow
from image_factory.local_engine.engine import DEFAULT_RUN_TIMEOUT, LocalEngine
from image_factory.local_engine.inputs import load_scenario
from image_factory.local_engine.outcome import RunOutcome
from image_factory.local_engine.resources import STAGE
from tests.engine.pipeline_support import FAST_DURATIONS, FAST_SETTINGS

FLEET_DURATIONS = {**FAST_DURATIONS, "fleet_start": 240, "fleet_stop": 120}
IMPORT_ROLE = "arn:aws:iam::123456789012:role/appstream-import"
SOURCE_AMI = "ami-0123456789abcdef0"
INSTANCE_TYPE = "stream.standard.medium"
BASE_IMAGE = "AppStream-WinServer2022-09-08-2025"
ROLLOUT_DEFINITION = get_workflow("fleet-rollout").definition
ROLLOUT_WAITS = {"fleet": {"expected_minutes": 6}, "rollback": {"expected_minutes": 6}}


def fleet_scenario(faults: list[dict[str, Any]] | None = None, **changes: Any) -> Scenario:
    data = load_scenario(None).model_dump(by_alias=True, exclude_unset=True)
    data["durations"] = {**data.get("durations", {}), **FLEET_DURATIONS}
    data["faults"] = faults or []
    data.update(changes)
    return Scenario.from_data(data)


def engine_for(definition: Path, scenario: Scenario | None = None) -> LocalEngine:
    """An engine running a workflow's registered definition as that workflow's state machine."""
    (workflow,) = [name for name, known in WORKFLOWS.items() if known.definition == definition]
    return LocalEngine(scenario or fleet_scenario(), workflow=workflow, settings=FAST_SETTINGS)


def make_images(engine: LocalEngine, *image_names: str, tags: dict[str, str] | None = None) -> None:
    """Private AVAILABLE images (imported from an AMI), made before the run starts."""
    for name in image_names:
        params: dict[str, Any] = {"Name": name, "SourceAmiId": SOURCE_AMI, "IamRoleArn": IMPORT_ROLE}
        if tags:
            params["Tags"] = tags
        engine.emulator.call("CreateImportedImage", params)
    # Past VALIDATING too: a scenario may read the import as always validating.
    engine.time.sleep(FLEET_DURATIONS["import"] + FLEET_DURATIONS["validation"] + 1)


def make_fleet(
    engine: LocalEngine,
    name: str,
    image: str,
    *,
    fleet_type: str = "ON_DEMAND",
    running: bool = True,
    root_volume_gb: int | None = None,
    region: str | None = None,
) -> None:
    params: dict[str, Any] = {
        "Name": name,
        "ImageName": image,
        "InstanceType": INSTANCE_TYPE,
        "FleetType": fleet_type,
    }
    if fleet_type == "ELASTIC":
        params |= {
            "MaxConcurrentSessions": 2,
            "Platform": "WINDOWS_SERVER_2022",
            # Elastic fleets need a VPC with two subnets or more (docs/emulator-fidelity.md, CreateFleet).
            "VpcConfig": {"SubnetIds": ["subnet-0a1b2c3d4e5f60718", "subnet-0b1c2d3e4f5a60719"]},
        }
    else:
        params["ComputeCapacity"] = {"DesiredInstances": 1}
    if root_volume_gb is not None:
        params["RootVolumeConfig"] = {"VolumeSizeInGb": root_volume_gb}
    # The customer lets this stage's rollouts move the fleet (the task role's tag condition).
    params["Tags"] = {names.TAG_ROLLOUT: STAGE}
    engine.emulator.call("CreateFleet", params, region)
    if running:
        engine.emulator.call("StartFleet", {"Name": name}, region)
        engine.time.sleep(FLEET_DURATIONS["fleet_start"] + 1)


def fleet(engine: LocalEngine, name: str, region: str | None = None) -> dict[str, Any]:
    return dict(engine.emulator.call("DescribeFleets", {"Names": [name]}, region)["Fleets"][0])


def copy_image(engine: LocalEngine, name: str, region: str) -> None:
    """The image's copy in `region`, under its own name (as distribution makes it), AVAILABLE."""
    engine.emulator.call(
        "CopyImage", {"SourceImageName": name, "DestinationImageName": name, "DestinationRegion": region}
    )
    engine.time.sleep(engine.emulator.scenario.durations.image_copy + 1)


def window_opening_in(engine: LocalEngine, hours: float, length_hours: float = 1) -> dict[str, Any]:
    """A daily maintenance window (UTC) that opens `hours` from the simulated now."""
    opens = engine.time.now_datetime() + timedelta(hours=hours)
    closes = opens + timedelta(hours=length_hours)
    return {"time_zone": "UTC", "start": opens.strftime("%H:%M"), "end": closes.strftime("%H:%M")}


def fleet_steps(record_steps: list[dict[str, Any]], prefix: str) -> dict[str, dict[str, Any]]:
    return {
        str(step["step"]).removeprefix(prefix): step
        for step in record_steps
        if str(step.get("step", "")).startswith(prefix)
    }


def run_with_output(engine: LocalEngine, request: dict[str, Any]) -> tuple[RunOutcome, dict[str, Any] | None]:
    """The run's outcome and the execution's output (None when it failed)."""
    execution = engine.start(request)
    outcome = execution.wait(DEFAULT_RUN_TIMEOUT)
    output = execution.describe().get("output")
    return outcome, (json.loads(output) if output else None)


def make_builder(engine: LocalEngine, name: str, run_id: str, tags: dict[str, str] | None = None) -> None:
    """A running image builder tagged as a run's (from a public base image, so it holds no private image).

    It carries the engine's stage unless `tags` say otherwise (an empty stage drops the tag)."""
    tags = {names.TAG_STAGE: get_settings().stage, names.TAG_RUN_ID: run_id, **(tags or {})}
    engine.emulator.call(
        "CreateImageBuilder",
        {
            "Name": name,
            "ImageName": BASE_IMAGE,
            "InstanceType": INSTANCE_TYPE,
            "Tags": {key: value for key, value in tags.items() if value},
        },
    )
    engine.time.sleep(FLEET_DURATIONS["builder_start"] + 1)


def run_example(
    workflow: str, request: str, capsys: pytest.CaptureFixture[str]
) -> tuple[str, int, dict[str, Any]]:
    """Validate, then run locally, a bundled request example of `workflow` on the `fleets` scenario.

    Returns what `validate` printed, the exit code of `run`, and the JSON report it printed.
    """
    from image_factory.cli import main

    assert main(["validate", "--workflow", workflow, request]) == 0
    validated = capsys.readouterr().out
    code = main(["run", "--local", "--workflow", workflow, request, "--scenario", "fleets", "--json"])
    return validated, code, json.loads(capsys.readouterr().out)
