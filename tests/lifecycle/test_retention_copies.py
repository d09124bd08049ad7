"""Retention of images copied to the distribution regions: kept while used anywhere, deleted with them."""

from __future__ import annotations

from typing import Any

import pytest

from benchmarks.fast import FAST_SETTINGS
from functions.core import names
from image_factory.local_engine import resources
from image_factory.local_engine.engine import LocalEngine
from tests.lifecycle.fleet_support import (
    copy_image,
    fleet_scenario,
    make_fleet,
    make_images,
    run_with_output,
)

pytestmark = pytest.mark.slow
ELSEWHERE = "eu-west-1"
WEB = {names.TAG_PIPELINE: "web", names.TAG_STAGE: resources.STAGE}
REQUEST = {
    "name": "nightly-retention",
    "pipelines": ["web"],
    "keep_images": 2,
    "amis": False,
    "reap_builders": False,
    "dry_run": False,
}


def engine(faults: list[dict[str, Any]] | None = None) -> LocalEngine:
    settings = {**FAST_SETTINGS, names.ENV_DISTRIBUTION_REGIONS: ELSEWHERE}
    return LocalEngine(fleet_scenario(faults), workflow="retention", settings=settings)


def copied(engine: LocalEngine, name: str) -> None:
    """The image's copy in the other region, tagged as distribution tags it there."""
    copy_image(engine, name, ELSEWHERE)
    (image,) = engine.emulator.call("DescribeImages", {"Names": [name]}, ELSEWHERE)["Images"]
    engine.emulator.call("TagResource", {"ResourceArn": image["Arn"], "Tags": WEB}, ELSEWHERE)


def seed(engine: LocalEngine) -> None:
    """Four images of pipeline web, each copied to eu-west-1, where a fleet uses the oldest; and a
    copy there whose image is gone."""
    for name in ("web-0", "web-1", "web-2", "web-3", "web-4"):
        make_images(engine, name, tags=WEB)
        copied(engine, name)
    engine.emulator.call("DeleteImage", {"Name": "web-0"})
    make_fleet(engine, "web-fleet", "web-1", region=ELSEWHERE)


def names_in(engine: LocalEngine, region: str | None = None) -> list[str]:
    images = engine.emulator.call("DescribeImages", {"Type": "PRIVATE"}, region)["Images"]
    return sorted(str(image["Name"]) for image in images if image["State"] != "DELETING")


@pytest.mark.usefixtures("deployed_permissions")
def test_an_image_goes_with_its_copies_and_a_copy_in_use_keeps_its_image() -> None:
    with engine() as local:
        seed(local)
        outcome, output = run_with_output(local, REQUEST)
        here, there = names_in(local), names_in(local, ELSEWHERE)

    assert outcome.status == "SUCCEEDED", outcome.error
    # web-1 is older than the newest two, but its copy streams in eu-west-1; web-2 goes everywhere.
    assert here == ["web-1", "web-3", "web-4"]
    assert there == ["web-1", "web-3", "web-4"]
    assert output is not None
    decisions = {(item["name"], item.get("region")): item for item in output["images"]}
    assert decisions[("web-1", None)]["reason"] == f"in use by fleet web-fleet in {ELSEWHERE}"
    assert decisions[("web-2", ELSEWHERE)]["action"] == "delete"
    assert decisions[("web-2", ELSEWHERE)]["reason"].startswith("copy of web-2: older than")
    assert decisions[("web-0", ELSEWHERE)]["reason"] == "its image is gone from the stack's region"


def test_a_copy_that_cannot_be_deleted_fails_the_run_naming_its_region() -> None:
    faults = [
        {
            "operation": "DeleteImage",
            "error": "OperationNotPermittedException",
            "region": ELSEWHERE,
            "times": None,
        }
    ]
    with engine(faults) as local:
        seed(local)
        outcome, _ = run_with_output(local, REQUEST)
        here, there = names_in(local), names_in(local, ELSEWHERE)

    assert outcome.status == "FAILED"
    assert outcome.error is not None
    assert outcome.error.code == "RetentionIncomplete"
    assert f"image web-2 in {ELSEWHERE}" in outcome.error.message
    assert f"image web-0 in {ELSEWHERE}" in outcome.error.message
    # The stack's region was cleaned up all the same; the copies wait for the next run.
    assert here == ["web-1", "web-3", "web-4"]
    assert there == ["web-0", "web-1", "web-2", "web-3", "web-4"]
