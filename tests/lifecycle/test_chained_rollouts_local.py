"""Chained fleet rollouts run end to end on the local engine, started by the deployment's own rules.

Given the configuration file, the engine puts the rules the stack deploys (stacks/rollout_rules.py)
on its run event bus: the run that makes an image starts the chained rollout with that image, as
the deployed EventBridge rule does, and a run that makes none starts nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from image_factory.local_engine.engine import DEFAULT_RUN_TIMEOUT, LocalEngine
from image_factory.local_engine.execution import LocalExecution
from image_factory.local_engine.resources import state_machine_name
from stacks.config import DeploymentConfig, load_config
from tests.engine.pipeline_support import FAST_SETTINGS, fast_request, fast_scenario
from tests.lifecycle.fleet_support import FLEET_DURATIONS, fleet, make_fleet
from tests.lifecycle.support import output, scenario, update_request

pytestmark = pytest.mark.slow

ROLES = {
    "import_role_arn": "arn:aws:iam::123456789012:role/image-factory-appstream-import",
    "builder_role_arn": "arn:aws:iam::123456789012:role/image-factory-image-builder",
    "export_role_arn": "arn:aws:iam::123456789012:role/image-factory-appstream-export",
}


def chained_config(tmp_path: Path, **lifecycle: Any) -> DeploymentConfig:
    """A configuration file with the bundled example's pipeline and the given lifecycle jobs."""
    pipeline = fast_request("from-existing-image")
    document = {
        "roles": ROLES,
        "pipelines": [{"name": pipeline["pipeline"], "request": pipeline}],
        "lifecycle": lifecycle,
    }
    path = tmp_path / "pipelines.yaml"
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    return load_config(path)


def rollout_runs(engine: LocalEngine) -> list[LocalExecution]:
    """The fleet rollout runs the chain rules started (every run after the first is one)."""
    rollout = f":execution:{state_machine_name('fleet-rollout')}:"
    started = [delivery.execution for delivery in engine.event_rules.deliveries if delivery.execution]
    assert [execution.arn for execution in started] == [e.arn for e in engine.executions if rollout in e.arn]
    return started


def test_a_succeeded_pipeline_run_rolls_its_new_image_out_to_the_chained_fleet(tmp_path: Path) -> None:
    request = fast_request("from-existing-image")
    config = chained_config(
        tmp_path,
        fleet_rollouts=[
            {
                "name": "web-test-rollout",
                "after_pipeline": request["pipeline"],
                "request": {"fleets": [{"name": "web-always-on"}]},
            }
        ],
    )
    fleets = fast_scenario("fleets", durations={**FLEET_DURATIONS})
    with LocalEngine(fleets, settings=FAST_SETTINGS, config=config) as engine:
        built = engine.run(request)
        (rollout,) = rollout_runs(engine)
        rolled_out = rollout.wait(DEFAULT_RUN_TIMEOUT)
        moved = fleet(engine, "web-always-on")
        untouched = fleet(engine, "web-elastic")

    assert built.status == "SUCCEEDED", built.error
    new_image = built.resources["snapshot"]["image_name"]
    assert rollout.request == {
        "fleets": [{"name": "web-always-on"}],
        "name": "web-test-rollout",
        "image_name": new_image,
    }
    assert rolled_out.status == "SUCCEEDED", rolled_out.error
    assert (moved["State"], moved["ImageName"]) == ("RUNNING", new_image)
    assert untouched["ImageName"] == "web-20261001"  # a fleet no job names keeps its image


def update_chain_config(tmp_path: Path) -> DeploymentConfig:
    """A managed update job of image app-one, and a rollout job chained after it to fleet `pilot`."""
    return chained_config(
        tmp_path,
        managed_updates=[{"name": "app-one-updates", "request": update_request()}],
        fleet_rollouts=[
            {
                "name": "pilot-rollout",
                "after_managed_update": "app-one-updates",
                "request": {"fleets": [{"name": "pilot"}]},
            }
        ],
    )


def update_engine(config: DeploymentConfig) -> LocalEngine:
    account = scenario(durations={**FLEET_DURATIONS, "updated_image": 600})
    return LocalEngine(account, settings=FAST_SETTINGS, workflow="managed-update", config=config)


def test_a_managed_update_that_made_an_image_rolls_it_out_to_the_chained_fleet(tmp_path: Path) -> None:
    with update_engine(update_chain_config(tmp_path)) as engine:
        make_fleet(engine, "pilot", "app-one", root_volume_gb=300)  # app-one, and its update, are 300 GB
        updated = engine.run(update_request())
        new_image = output(engine.executions[0])["update"]["image_name"]
        (rollout,) = rollout_runs(engine)
        rolled_out = rollout.wait(DEFAULT_RUN_TIMEOUT)
        pilot = fleet(engine, "pilot")

    assert updated.status == "SUCCEEDED", updated.error
    assert rollout.request == {
        "fleets": [{"name": "pilot"}],
        "name": "pilot-rollout",
        "image_name": new_image,
    }
    assert rolled_out.status == "SUCCEEDED", rolled_out.error
    assert (pilot["State"], pilot["ImageName"]) == ("RUNNING", new_image)


def test_a_managed_update_that_found_no_update_starts_no_rollout(tmp_path: Path) -> None:
    with update_engine(update_chain_config(tmp_path)) as engine:
        make_fleet(engine, "pilot", "kiosk")
        checked = engine.run(update_request(image_name="kiosk"))  # AppStream has no update for it
        started = rollout_runs(engine)
        pilot = fleet(engine, "pilot")

    assert checked.status == "SUCCEEDED", checked.error
    assert "update" not in checked.resources
    assert started == []
    assert [execution.name for execution in engine.executions] == [checked.run_id]
    assert pilot["ImageName"] == "kiosk"
