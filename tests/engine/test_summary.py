"""The end-of-run report a person reads: every AMI, what was left behind, one duration format."""

from __future__ import annotations

from typing import Any

from image_factory.local_engine.formatting import duration, plural
from image_factory.local_engine.outcome import EngineCounters, RunOutcome, StepOutcome
from image_factory.local_engine.summary import counters_summary, inventory_summary, run_summary


def outcome(steps: list[StepOutcome], resources: dict[str, Any]) -> RunOutcome:
    return RunOutcome(
        run_id="run-1",
        execution_arn="arn",
        status="SUCCEEDED",
        steps=steps,
        resources=resources,
        error=None,
        started_at=0.0,
        ended_at=3616.0,
        state_transitions=1,
        lambda_attempts=1,
    )


def step(name: str, **fields: Any) -> StepOutcome:
    return StepOutcome(name=name, status="SUCCEEDED", attempts=1, polls=1, started_at=0, ended_at=1, **fields)


def test_an_export_backup_names_every_ami_it_made() -> None:
    resources = {
        "export:app-one": {"ami_name": "app-one-x", "ami_id": "ami-1"},
        "export:app-two": {"ami_name": "app-two-x", "ami_id": "ami-2"},
        "ami_id": "ami-2",
    }
    text = run_summary(outcome([step("selection")], resources))
    assert "AMIs: ami-1 (export:app-one), ami-2 (export:app-two)" in text


def test_what_cleanup_left_behind_is_listed_with_how_to_remove_it() -> None:
    note = "left image 'x' FAILED: remove it with `aws appstream delete-image --name x`"
    cleanup = step("cleanup", resource={"actions": ["released the builder slot", note]})
    text = run_summary(outcome([cleanup], {}))
    assert "Left behind by this run:\n  image 'x' FAILED: remove it with" in text
    assert "Left behind" not in run_summary(outcome([step("cleanup")], {}))


def test_counts_are_pluralised_and_durations_have_one_format() -> None:
    assert (plural(1, "check"), plural(2, "check"), plural(0, "check")) == ("1 check", "2 checks", "0 checks")
    assert duration(3616) == "1h 00m"
    counters = EngineCounters(1, 1, 1, {})
    assert counters_summary(counters, 6.9).endswith("; 7s of real time")


def test_a_distributed_run_names_the_regions_and_accounts_its_image_reached() -> None:
    resources = {
        "distribute": {
            "image_name": "web-1",
            "regions": ["us-east-1", "eu-west-1"],
            "shared_with": ["111122223333"],
        }
    }
    text = run_summary(outcome([step("distribute")], resources))
    assert "Image web-1 reached regions us-east-1, eu-west-1; shared with 111122223333" in text


def test_a_distributed_ami_is_named_with_the_id_of_its_copy_in_each_region() -> None:
    resources = {
        "distribute_ami": {
            "ami_id": "ami-0a1b2c3d4e5f60718",
            "regions": ["us-east-1", "eu-west-1"],
            "copies": {"eu-west-1": "ami-0f1e2d3c4b5a69788"},
            "shared_with": [],
        }
    }
    text = run_summary(outcome([step("distribute_ami")], resources))
    expected = "AMI ami-0a1b2c3d4e5f60718 reached regions us-east-1, eu-west-1 (ami-0f1e2d3c4b5a69788)"
    assert f"{expected}; shared with no other account" in text


def test_the_account_left_names_the_images_of_other_regions() -> None:
    inventory = {"other_regions": [{"region": "eu-west-1", "name": "web-1", "state": "AVAILABLE"}]}
    assert "images in other regions: web-1 (eu-west-1, AVAILABLE)" in inventory_summary(inventory)


def test_the_account_left_names_its_amis_and_their_regions() -> None:
    amis = [{"id": "ami-0a1b2c3d4e5f60718", "name": "web-1", "region": "eu-west-1", "state": "available"}]
    text = inventory_summary({"amis": amis})
    assert "AMIs (EC2): ami-0a1b2c3d4e5f60718 web-1 (eu-west-1, available)" in text
