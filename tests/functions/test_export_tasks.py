"""Finding a run's export task again: by the step's record, else by an unfiltered listing, under every
reading of ListExportImageTasks filters; never a second export of the same run."""

from __future__ import annotations

from typing import Any

import pytest

from appstream_emulator.scenario import Scenario
from functions.core import export_tasks, names
from tests.functions.conftest import ROLE, Account

STEP = "export"
RUN = "run-1"
FILTER_READINGS = ["as_emulated", "rejected", "ignored"]


def scenario_with(reading: str, **changes: Any) -> Scenario:
    data = {"images": [{"name": "golden"}], "assumptions": {"export_task_filters": reading}, **changes}
    return Scenario.from_data(data)


def start(account: Account, ami_name: str = "golden-ami", run_id: str = RUN) -> dict[str, Any]:
    account.context.records.step_started(run_id, STEP, {"ami_name": ami_name})
    return export_tasks.start_run_export(
        account.context.records,
        STEP,
        run_id=run_id,
        image_name="golden",
        ami_name=ami_name,
        role_arn=ROLE,
        tags={names.TAG_RUN_ID: run_id},
        description=None,
    )


def created_outside_the_records(account: Account, ami_name: str, run_id: str) -> str:
    """A task a first attempt created before it could record it (its process died right after)."""
    params = {"ImageName": "golden", "AmiName": ami_name, "IamRoleArn": ROLE}
    task = account.emulator.call(
        "CreateExportImageTask", {**params, "TagSpecifications": {names.TAG_RUN_ID: run_id}}
    )
    return str(task["ExportImageTask"]["TaskId"])


def task_ids(account: Account) -> list[str]:
    return [task["id"] for task in account.emulator.inventory()["export_tasks"]]


@pytest.mark.parametrize("scenario", [scenario_with(r) for r in FILTER_READINGS], ids=FILTER_READINGS)
def test_a_replayed_start_adopts_the_task_it_recorded(account: Account) -> None:
    first = start(account)
    second = start(account)
    assert second["TaskId"] == first["TaskId"]
    assert task_ids(account) == [first["TaskId"]]


@pytest.mark.parametrize("scenario", [scenario_with(r) for r in FILTER_READINGS], ids=FILTER_READINGS)
def test_a_task_created_just_before_a_crash_is_found_in_the_full_listing(account: Account) -> None:
    account.emulator.call(
        "CreateExportImageTask", {"ImageName": "golden", "AmiName": "other", "IamRoleArn": ROLE}
    )
    created_outside_the_records(account, "golden-older", RUN)  # this run's tag, another AMI name
    lost = created_outside_the_records(account, "golden-ami", RUN)

    adopted = start(account)

    assert adopted["TaskId"] == lost
    assert len(task_ids(account)) == 3


@pytest.mark.parametrize(
    "scenario",
    [scenario_with("rejected", quotas={"concurrent_exports": 600}, images=[{"name": "golden"}])],
)
def test_a_task_past_the_first_page_is_found(account: Account) -> None:
    for index in range(export_tasks.LIST_PAGE):
        created_outside_the_records(account, f"golden-{index:03d}", "another-run")
    lost = created_outside_the_records(account, "golden-ami", RUN)

    assert start(account)["TaskId"] == lost
    assert len(task_ids(account)) == export_tasks.LIST_PAGE + 1


@pytest.mark.parametrize(
    "scenario",
    # Every listing after the first fails: the replay must find its task by the record alone.
    [
        scenario_with(
            "as_emulated",
            faults=[
                {"operation": "ListExportImageTasks", "error": "InternalFailure", "after": 1, "times": None}
            ],
        )
    ],
)
def test_a_replay_finds_its_recorded_task_without_listing(account: Account) -> None:
    first = start(account)
    assert start(account)["TaskId"] == first["TaskId"]
    assert task_ids(account) == [first["TaskId"]]
