"""Managed updates end to end: statemachines/managed_update.asl.json on the local engine."""

from __future__ import annotations

import pytest

from functions.core import clients
from functions.core.names import TAG_RUN_ID, TAG_VOLUME_GB
from functions.workflows import LAMBDA_TASKS
from tests.lifecycle.support import (
    EXPORT_ROLE,
    engine,
    output,
    run_record,
    scenario,
    task_errors,
    update_request,
)
from tests.readings import every_reading

pytestmark = pytest.mark.slow

ORIGINAL_IMAGES = {"app-one", "app-two", "app-three", "office", "kiosk"}


def images(inventory: dict) -> dict[str, str]:
    return {image["name"]: image["state"] for image in inventory["images"]}


@pytest.mark.usefixtures("deployed_permissions")
def test_an_available_update_makes_a_new_image_tagged_with_the_run() -> None:
    with engine("managed-update") as local:
        outcome = local.run(update_request())
        result = output(local.executions[0])
        inventory = local.inventory()
        record = run_record(local, outcome.run_id)
        tags = clients.appstream().list_tags_for_resource(ResourceArn=result["update"]["image_arn"])["Tags"]

    assert outcome.status == "SUCCEEDED", outcome.error
    assert result["check"]["available"] is True
    name = result["update"]["image_name"]
    assert name.startswith("app-one-updates-")
    assert images(inventory) == {**dict.fromkeys(ORIGINAL_IMAGES, "AVAILABLE"), name: "AVAILABLE"}
    assert tags[TAG_RUN_ID] == outcome.run_id
    assert tags[TAG_VOLUME_GB] == "300"  # as large as the image it updates
    assert record["status"] == "SUCCEEDED"
    assert [step.name for step in outcome.steps] == ["check", "update"]


def test_no_update_available_ends_the_run_without_a_new_image() -> None:
    with engine("managed-update") as local:
        outcome = local.run(update_request(image_name="kiosk"))
        result = output(local.executions[0])
        inventory = local.inventory()

    assert outcome.status == "SUCCEEDED", outcome.error
    assert result["check"] == {
        "available": False,
        "image_name": "kiosk",
        "image_arn": "arn:aws:appstream:us-east-1:123456789012:image/kiosk",
        "reason": "the image already has the latest software",
    }
    assert result["update"] is None
    assert set(images(inventory)) == ORIGINAL_IMAGES
    assert [step.name for step in outcome.steps] == ["check"]


@pytest.mark.parametrize(
    ("request_changes", "scenario_changes", "step", "code", "reason"),
    [
        ({"image_name": "no-such-image"}, {}, "check", "AppStreamRequestRejected", "does not exist"),
        (
            {},
            {"faults": [{"resource": "image", "name": "app-one-updates-*", "reason": "patching failed"}]},
            "update",
            "ImageUpdateFailed",
            "IMAGE_UPDATE_FAILURE: patching failed",
        ),
        (
            {
                "waits": {
                    "update": {"expected_minutes": 2, "ceiling_minutes": 4},
                    "cleanup": {"expected_minutes": 1},
                }
            },
            {},
            "update",
            "PhaseTimedOut",
            "not finished after",
        ),
        (
            {},
            {
                "faults": [
                    {"operation": "CreateUpdatedImage", "error": "OperationNotPermittedException", "after": 1}
                ]
            },
            "update",
            "AppStreamRequestRejected",
            "OperationNotPermittedException",
        ),
        # the new image's name belongs to an image this run did not make: that image is left alone
        ({"new_image_name": "office"}, {}, "update", "ResourceNameConflict", "does not belong to run"),
    ],
    ids=["image-missing", "update-fails", "update-times-out", "update-refused", "name-taken"],
)
def test_a_fault_in_any_phase_fails_the_run_and_leaves_no_new_image(
    request_changes: dict, scenario_changes: dict, step: str, code: str, reason: str
) -> None:
    with engine("managed-update", scenario(**scenario_changes)) as local:
        outcome = local.run(update_request(**request_changes))
        inventory = local.inventory()
        record = run_record(local, outcome.run_id)

    assert outcome.status == "FAILED"
    assert outcome.error is not None
    assert (outcome.error.step, outcome.error.code) == (step, code)
    assert reason in outcome.error.message
    assert set(images(inventory)) == ORIGINAL_IMAGES  # a FAILED or late image was deleted
    assert record["status"] == "FAILED"
    assert record["error"] == {"step": step, "code": code, "message": outcome.error.message}


def test_appstreams_limit_on_concurrent_updates_makes_runs_wait_instead_of_failing() -> None:
    requests = [
        update_request(name=f"{image}-updates", image_name=image)
        for image in ("app-one", "app-two", "office")
    ]
    with engine("managed-update", scenario(quotas={"concurrent_image_updates": 1})) as local:
        outcomes = local.run_many(requests)
        errors = task_errors(local)
        inventory = local.inventory()

    assert [outcome.status for outcome in outcomes] == ["SUCCEEDED"] * 3
    assert "AppStreamQuotaExceeded" in errors
    assert len(images(inventory)) == len(ORIGINAL_IMAGES) + 3


@every_reading()
@pytest.mark.usefixtures("deployed_permissions")
def test_the_new_image_is_handed_to_an_export_backup_run(assumptions: dict[str, str]) -> None:
    with engine("managed-update", scenario(assumptions=assumptions)) as local:
        outcome = local.run(update_request(then_export={"role_arn": EXPORT_ROLE}))
        result = output(local.executions[0])
        inventory = local.inventory()

    assert outcome.status == "SUCCEEDED", outcome.error
    name = result["update"]["image_name"]
    export = result["export"]
    assert export["status"] == "SUCCEEDED"
    assert export["output"]["workflow"] == "export-backup"
    assert [item["image_name"] for item in export["output"]["exported"]] == [name]
    assert [(t["image_name"], t["state"]) for t in inventory["export_tasks"]] == [(name, "COMPLETED")]


def test_a_failed_chained_export_fails_the_run_at_export_and_keeps_the_good_image() -> None:
    fault = {"resource": "export_task", "reason": "The export role cannot write snapshots"}
    with engine("managed-update", scenario(faults=[fault])) as local:
        outcome = local.run(update_request(then_export={"role_arn": EXPORT_ROLE}))
        inventory = local.inventory()

    assert outcome.status == "FAILED"
    assert outcome.error is not None
    assert outcome.error.step == "export"
    assert "cannot write snapshots" in outcome.error.message
    new_images = set(images(inventory)) - ORIGINAL_IMAGES
    assert len(new_images) == 1 and images(inventory)[new_images.pop()] == "AVAILABLE"


def test_every_task_run_twice_makes_one_image() -> None:
    with engine("managed-update", replay={task.name for task in LAMBDA_TASKS}) as local:
        outcome = local.run(update_request())
        inventory = local.inventory()

    assert outcome.status == "SUCCEEDED", outcome.error
    assert len(images(inventory)) == len(ORIGINAL_IMAGES) + 1
