"""A run tags what it creates with its stage, so another stage's retention can tell it is not its own."""

from __future__ import annotations

import pytest

from benchmarks.fast import FAST_SETTINGS
from functions.core import names
from image_factory.local_engine.engine import DEFAULT_RUN_TIMEOUT, LocalEngine
from tests.engine.pipeline_support import fast_request, fast_scenario
from tests.lifecycle.fleet_support import BASE_IMAGE, INSTANCE_TYPE

pytestmark = pytest.mark.slow


def test_a_runs_builder_images_and_export_carry_the_stage_the_functions_are_deployed_in() -> None:
    document = fast_request("reference")  # imports, builds, snapshots and exports
    document["cleanup"] = {"delete_builder": False}  # the builder stays, so its tags can be read
    settings = {**FAST_SETTINGS, names.ENV_STAGE: "blue"}
    with LocalEngine(fast_scenario(), settings=settings) as engine:
        outcome = engine.run(document)
        call = engine.emulator.call
        builders = call("DescribeImageBuilders", {})["ImageBuilders"]
        images = call("DescribeImages", {"Type": "PRIVATE"})["Images"]
        tagged = {
            f"{kind} {item['Name']}": call("ListTagsForResource", {"ResourceArn": item["Arn"]})["Tags"]
            for kind, items in (("builder", builders), ("image", images))
            for item in items
        }
        exports = call("ListExportImageTasks", {})["ExportImageTasks"]
        tagged |= {f"export {task['AmiName']}": task["TagSpecifications"] for task in exports}

    assert outcome.status == "SUCCEEDED", outcome.error
    # The builder, the imported image, the new image and the export (whose tags the AMI gets).
    assert [name.split()[0] for name in sorted(tagged)] == ["builder", "export", "image", "image"]
    assert {name: tags.get(names.TAG_STAGE) for name, tags in tagged.items()} == dict.fromkeys(tagged, "blue")
    assert {tags[names.TAG_RUN_ID] for tags in tagged.values()} == {outcome.run_id}


def test_a_run_never_takes_over_a_builder_another_stage_made_under_the_same_name() -> None:
    # Two stages give runs the same id when their execution names agree (an Image Builder
    # trigger names a run after the image): the builder names agree too.
    document = fast_request("from-existing-image")
    green = f"{document['pipeline']}-shared-run-builder"
    settings = {**FAST_SETTINGS, names.ENV_STAGE: "blue"}
    with LocalEngine(fast_scenario(), settings=settings) as engine:
        tags = {names.TAG_RUN_ID: "shared-run", names.TAG_STAGE: "green"}
        engine.emulator.call(
            "CreateImageBuilder",
            {"Name": green, "ImageName": BASE_IMAGE, "InstanceType": INSTANCE_TYPE, "Tags": tags},
        )
        outcome = engine.start(document, name="shared-run").wait(DEFAULT_RUN_TIMEOUT)
        builders = engine.emulator.call("DescribeImageBuilders", {"Names": [green]})["ImageBuilders"]

    assert outcome.status == "FAILED"
    assert outcome.error is not None
    assert (outcome.error.step, outcome.error.code) == ("builder", "ResourceNameConflict")
    assert "stage blue" in outcome.error.message
    # Neither used nor cleaned up: still starting or running, never stopped or deleted.
    assert [builder["State"] for builder in builders] in (["PENDING"], ["RUNNING"])
