"""One run's export task: find the one a first attempt started, or create it; read its state.

Shared by the pipeline's export and export backups. It imports neither workflow's plan,
so a lifecycle task does not load the pipeline's models with it.
"""

from __future__ import annotations

from typing import Any

from functions import clients, names
from functions.services import appstream


def start_run_export(
    *,
    run_id: str,
    image_name: str,
    ami_name: str,
    role_arn: str,
    tags: dict[str, str],
    description: str | None,
) -> dict[str, Any]:
    """This run's export task to `ami_name`: the one a first attempt started (adopted), or a new one."""
    task = find_run_export(ami_name, {**tags, names.TAG_RUN_ID: run_id})
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
    created = appstream.call(
        f"CreateExportImageTask {ami_name!r}", clients.appstream().create_export_image_task, **params
    )
    return dict(created["ExportImageTask"])


def find_run_export(ami_name: str, run_tags: dict[str, str]) -> dict[str, Any] | None:
    """The export task this run started to `ami_name`, recognised by the run's tags (a filtered listing)."""
    client = clients.appstream()
    token: str | None = None
    while True:
        page = appstream.call(
            f"ListExportImageTasks {ami_name!r}",
            client.list_export_image_tasks,
            Filters=[{"Name": "ami-name", "Values": [ami_name]}],
            **({"NextToken": token} if token else {}),
        )
        for task in page.get("ExportImageTasks", []):
            if names.same_run(task.get("TagSpecifications") or {}, run_tags):
                return dict(task)
        token = page.get("NextToken")
        if not token:
            return None


def read_export(task_id: str | None) -> dict[str, Any]:
    """The export task as AppStream describes it now."""
    task = appstream.call(
        f"GetExportImageTask {task_id!r}", clients.appstream().get_export_image_task, TaskId=task_id
    )
    return dict(task["ExportImageTask"])
