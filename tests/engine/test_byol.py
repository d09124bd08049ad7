"""BYOL: a run imports a WorkSpaces image (CreateImportedImage's WorkspaceImageId) instead of an AMI."""

from __future__ import annotations

from typing import Any

import pytest

from tests.engine.pipeline_support import fast_engine, fast_request, fast_scenario

pytestmark = pytest.mark.slow
WORKSPACE_IMAGE = "wsi-0123456789abcdef"


def byol_request() -> dict[str, Any]:
    document = fast_request("reference")
    document["source"] = {"workspace_image_id": WORKSPACE_IMAGE}
    return document


@pytest.mark.usefixtures("deployed_permissions")
def test_a_workspaces_image_is_imported_and_built_on_as_a_byol_image() -> None:
    with fast_engine() as engine:
        outcome = engine.run(byol_request())
        images = {i["Name"]: i for i in engine.emulator.call("DescribeImages", {"Type": "PRIVATE"})["Images"]}

    assert outcome.status == "SUCCEEDED", outcome.error
    assert "ami_id" in outcome.resources  # exported like any other image
    made = outcome.resources["snapshot"]["image_arn"]
    # The imported image and the image made from it are both BYOL.
    assert {image["ImageType"] for image in images.values()} == {"BYOL"}
    assert made in {image["Arn"] for image in images.values()}
    history = set((outcome.record or {})["phase_seconds"])
    assert "source:import_validated" in history  # a BYOL import is timed as any import


def test_a_failed_byol_import_fails_the_run_at_its_source_and_cleans_up() -> None:
    with fast_engine(fast_scenario("validation-fails")) as engine:
        outcome = engine.run(byol_request())
        inventory = engine.inventory()

    assert outcome.status == "FAILED" and outcome.error is not None
    assert (outcome.error.step, outcome.error.code) == ("source", "ImageImportFailed")
    assert inventory["image_builders"] == []


def test_a_request_with_an_ami_and_a_workspaces_image_is_refused_by_the_field() -> None:
    document = fast_request("reference")
    document["source"] = {**document["source"], "workspace_image_id": WORKSPACE_IMAGE}
    with fast_engine() as engine:
        outcome = engine.run(document)
        calls = engine.counters().appstream_calls_by_operation

    assert outcome.status == "FAILED" and outcome.error is not None
    assert outcome.error.code == "InvalidPipelineRequest"
    assert "source.workspace_image_id" in outcome.error.message
    assert "CreateImportedImage" not in calls
