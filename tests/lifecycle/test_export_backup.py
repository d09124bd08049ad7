"""Export backups end to end: statemachines/export_backup.asl.json on the local engine."""

from __future__ import annotations

import pytest

from functions.workflows import LAMBDA_TASKS
from tests.lifecycle.support import (
    backup_request,
    engine,
    output,
    peak_while_running,
    run_record,
    scenario,
    task_errors,
)

pytestmark = pytest.mark.slow


def exported_images(inventory: dict) -> list[str]:
    return sorted(task["image_name"] for task in inventory["export_tasks"] if task["state"] == "COMPLETED")


@pytest.mark.usefixtures("deployed_permissions")
def test_matching_images_are_exported_and_an_unchanged_image_is_not_exported_again() -> None:
    with engine("export-backup") as local:
        first = local.run(backup_request())
        first_output = output(local.executions[0])
        second = local.run(backup_request())
        second_output = output(local.executions[1])
        inventory = local.inventory()
        record = run_record(local, first.run_id)

    assert first.status == "SUCCEEDED", first.error
    assert sorted(item["image_name"] for item in first_output["exported"]) == [
        "app-one",
        "app-three",
        "app-two",
    ]
    assert all(item["ami_id"].startswith("ami-") for item in first_output["exported"])
    assert record["status"] == "SUCCEEDED"
    assert second.status == "SUCCEEDED", second.error
    assert second_output["exported"] == []
    assert {item["image_name"] for item in second_output["skipped"]} == {"app-one", "app-two", "app-three"}
    assert all("unchanged since AMI ami-" in item["reason"] for item in second_output["skipped"])
    assert exported_images(inventory) == ["app-one", "app-three", "app-two"]  # one export each, in all


def test_a_tag_filter_selects_by_every_tag() -> None:
    with engine("export-backup") as local:
        outcome = local.run(backup_request(images={"name_prefix": "app-", "tags": {"team": "euc"}}))
        inventory = local.inventory()

    assert outcome.status == "SUCCEEDED", outcome.error
    assert exported_images(inventory) == ["app-one", "app-two"]


def test_a_missing_image_fails_the_run_at_selection_with_nothing_started() -> None:
    with engine("export-backup") as local:
        outcome = local.run(backup_request(images={"image_name": "no-such-image"}))
        inventory = local.inventory()
        record = run_record(local, outcome.run_id)

    assert outcome.status == "FAILED"
    assert outcome.error is not None
    assert (outcome.error.step, outcome.error.code) == ("selection", "AppStreamRequestRejected")
    assert "no-such-image" in outcome.error.message
    assert inventory["export_tasks"] == []
    assert record["status"] == "FAILED"


@pytest.mark.parametrize(
    ("outcome_state", "reason"), [("FAILED", "cannot write snapshots"), ("TIMED_OUT", "TIMED_OUT")]
)
def test_a_failed_export_fails_only_its_image_and_the_next_run_retries_only_that_image(
    outcome_state: str, reason: str
) -> None:
    fault = {
        "resource": "export_task",
        "name": "app-two",
        "outcome": outcome_state,
        "reason": "cannot write snapshots",
    }
    with engine("export-backup", scenario(faults=[fault])) as local:
        failed = local.run(backup_request())
        retried = local.run(backup_request())
        retried_output = output(local.executions[1])
        inventory = local.inventory()

    assert failed.status == "FAILED"
    assert failed.error is not None
    assert (failed.error.step, failed.error.code) == ("export:app-two", "ExportFailed")
    assert reason in failed.error.message
    assert {step.name: step.status for step in failed.steps} == {
        "selection": "SUCCEEDED",
        "export:app-one": "SUCCEEDED",
        "export:app-three": "SUCCEEDED",
        "export:app-two": "FAILED",
    }
    assert retried.status == "SUCCEEDED", retried.error
    assert [item["image_name"] for item in retried_output["exported"]] == ["app-two"]
    assert not any(task["state"] == "EXPORTING" for task in inventory["export_tasks"])


def test_exports_never_run_more_at_once_than_configured() -> None:
    with engine("export-backup") as local:
        execution = local.start(backup_request(images={"tags": {"team": "euc"}}, max_concurrency=2))
        peak = peak_while_running(
            [execution],
            lambda: sum(1 for task in local.inventory()["export_tasks"] if task["state"] == "EXPORTING"),
        )
        outcome = execution.outcome()
        inventory = local.inventory()

    assert outcome.status == "SUCCEEDED", outcome.error
    assert exported_images(inventory) == ["app-one", "app-two", "office"]
    assert 1 <= peak <= 2


def test_appstreams_export_quota_makes_exports_wait_instead_of_failing() -> None:
    quotas = {"concurrent_exports": 1}
    with engine("export-backup", scenario(quotas=quotas)) as local:
        outcome = local.run(backup_request(max_concurrency=3))
        errors = task_errors(local)
        inventory = local.inventory()

    assert outcome.status == "SUCCEEDED", outcome.error
    assert "AppStreamQuotaExceeded" in errors
    assert exported_images(inventory) == ["app-one", "app-three", "app-two"]


def test_throttling_is_retried() -> None:
    # More throttling than botocore retries on its own: the state machine's Retry carries the run.
    faults = [{"operation": "CreateExportImageTask", "error": "ThrottlingException", "times": 8}]
    with engine("export-backup", scenario(faults=faults)) as local:
        outcome = local.run(backup_request())
        errors = task_errors(local)

    assert outcome.status == "SUCCEEDED", outcome.error
    assert "AppStreamThrottled" in errors


def test_every_task_run_twice_exports_each_image_once() -> None:
    with engine("export-backup", replay={task.name for task in LAMBDA_TASKS}) as local:
        outcome = local.run(backup_request())
        inventory = local.inventory()

    assert outcome.status == "SUCCEEDED", outcome.error
    assert exported_images(inventory) == ["app-one", "app-three", "app-two"]
    assert len(inventory["export_tasks"]) == 3
