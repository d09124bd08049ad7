"""What a lifecycle run's summary tells a person: decisions, images skipped, a chained export's AMI,
and the fleets left in the emulated account."""

from __future__ import annotations

import pytest

from appstream_emulator.scenario import Scenario
from functions.core import names
from image_factory.local_engine.engine import LocalEngine
from image_factory.local_engine.inputs import load_request_document, load_scenario
from image_factory.local_engine.summary import inventory_summary, run_summary

pytestmark = pytest.mark.slow
RUN_TIMEOUT = 120.0


def example(name: str) -> dict[str, object]:
    _, document = load_request_document(name)
    return dict(document)


def test_an_export_backup_names_each_image_it_skipped_and_why() -> None:
    with LocalEngine(load_scenario("existing-images"), workflow="export-backup") as engine:
        first = engine.run(example("export-backup-nightly"), timeout=RUN_TIMEOUT)
        again = engine.run(example("export-backup-nightly"), timeout=RUN_TIMEOUT)

    assert first.succeeded and again.succeeded
    summary = run_summary(again)
    ami = first.resources["export:app-one"]["ami_id"]
    assert "skipped:" in summary
    assert f"  app-one: unchanged since AMI {ami}" in summary


def test_a_managed_update_shows_the_ami_of_its_chained_export() -> None:
    with LocalEngine(load_scenario("existing-images"), workflow="managed-update") as engine:
        outcome = engine.run(example("managed-update-then-export"), timeout=RUN_TIMEOUT)
        (task,) = engine.inventory()["export_tasks"]

    assert outcome.succeeded
    summary = run_summary(outcome)
    image = outcome.resources["update"]["image_name"]
    assert "chained_export: execution_arn=" in summary
    assert f"    {task['ami_id']} ({image}-export)" in summary  # the AMI's name says the run once
    assert f"AMI: {task['ami_id']} (chained_export)" in summary


def test_retention_lists_its_decisions_one_a_line() -> None:
    tags = {names.TAG_PIPELINE: "web", names.TAG_STAGE: "local"}
    scenario = Scenario.from_data(
        {"images": [{"name": "web-old", "tags": tags, "age_days": 9}, {"name": "web-new", "tags": tags}]}
    )
    with LocalEngine(scenario, workflow="retention") as engine:
        outcome = engine.run(example("retention-dry-run"), timeout=RUN_TIMEOUT)

    lines = run_summary(outcome).splitlines()
    assert "    decisions:" in lines
    assert any(line.strip().startswith("keep image web-new: one of the newest 1") for line in lines)
    assert any(line.strip().startswith("would delete image web-old") for line in lines)


def test_the_fleets_left_in_the_account_show_their_image() -> None:
    with LocalEngine(load_scenario("fleets"), workflow="fleet-rollout") as engine:
        engine.run(example("fleet-rollout-web"), timeout=RUN_TIMEOUT)
        summary = inventory_summary(engine.inventory())

    (line,) = [line for line in summary.splitlines() if line.startswith("  fleets:")]
    assert "web-on-demand (" in line and "web-20261124" in line
