"""One run's export task: find the one a first attempt started, or create it; read its state.

Shared by the pipeline's export and export backups. It imports neither workflow's plan,
so a lifecycle task does not load the pipeline's models with it.

No source names a filter of ListExportImageTasks (docs/emulator-fidelity.md), so finding
a first attempt's task never depends on one: the step's record keeps the task id the
moment CreateExportImageTask answers, and when a crash came before that record, an
unfiltered listing is matched on AMI name and run tag here.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from functions.core import appstream, clients, names
from functions.core.records import RunRecords

LIST_PAGE = 500  # the most ListExportImageTasks returns at once: fewest calls for a full listing


def start_run_export(
    records: RunRecords,
    step: str,
    *,
    run_id: str,
    image_name: str,
    ami_name: str,
    role_arn: str,
    tags: dict[str, str],
    description: str | None,
) -> dict[str, Any]:
    """This run's export task to `ami_name`: the one a first attempt started (adopted), or a new one."""
    run_tags = {**tags, names.TAG_RUN_ID: run_id}
    task = recorded_export(records, run_id, step, ami_name) or find_run_export(ami_name, run_tags)
    if task is not None:
        return task
    params: dict[str, Any] = {
        "ImageName": image_name,
        "AmiName": ami_name,
        "IamRoleArn": role_arn,
        "TagSpecifications": tags,
    }
    if description:
        params["AmiDescription"] = description
    created = dict(
        appstream.call(
            f"CreateExportImageTask {ami_name!r}", clients.appstream().create_export_image_task, **params
        )["ExportImageTask"]
    )
    records.step_created(run_id, step, {"task_id": created.get("TaskId"), "ami_name": ami_name})
    return created


def recorded_export(records: RunRecords, run_id: str, step: str, ami_name: str) -> dict[str, Any] | None:
    """The task the step's record says a first attempt created to `ami_name`, as AppStream shows it now."""
    created = (records.get_step(run_id, step) or {}).get("created")
    if not isinstance(created, dict) or created.get("ami_name") != ami_name or not created.get("task_id"):
        return None
    try:
        return read_export(str(created["task_id"]))
    except Exception as error:
        if appstream.not_found(error):
            return None  # no longer listed: the listing below is the last word
        raise


def find_run_export(ami_name: str, run_tags: dict[str, str]) -> dict[str, Any] | None:
    """The export task this run (`run_tags`) started to `ami_name`: every task listed, matched here."""
    for task in every_task(f"ListExportImageTasks (looking for {ami_name!r})"):
        if names.same_run(task.get("TagSpecifications") or {}, run_tags) and task.get("AmiName") == ami_name:
            return task
    return None


def every_task(action: str) -> Iterator[dict[str, Any]]:
    """Every export task AppStream lists, page by page, with no filter (no source names one)."""
    client = clients.appstream()
    token: str | None = None
    while True:
        page = appstream.call(
            action,
            client.list_export_image_tasks,
            MaxResults=LIST_PAGE,
            **({"NextToken": token} if token else {}),
        )
        yield from (dict(task) for task in page.get("ExportImageTasks", []))
        token = page.get("NextToken")
        if not token:
            return


def read_export(task_id: str | None) -> dict[str, Any]:
    """The export task as AppStream describes it now."""
    task = appstream.call(
        f"GetExportImageTask {task_id!r}", clients.appstream().get_export_image_task, TaskId=task_id
    )
    return dict(task["ExportImageTask"])
