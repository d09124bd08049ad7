"""Export tasks: an AppStream image copied out to an EC2 AMI."""

from __future__ import annotations

from typing import Any

from ..domain.account import Account
from ..domain.export_lifecycle import begin_export
from ..domain.resources import ExportTask
from ..errors import AppStreamError
from . import render
from .paging import page
from .registry import operation

LIST_PAGE = 50
# Filter names as written in requests, normalized (case and "-"/"_" ignored), to the task field they test.
# No source names any filter: these are an assumption (docs/emulator-fidelity.md, ListExportImageTasks).
_FILTERS = {
    "state": "state",
    "taskid": "task_id",
    "imagename": "image_name",
    "imagearn": "image_arn",
    "aminame": "ami_name",
    "amiid": "ami_id",
}


@operation("CreateExportImageTask")
def create_export_image_task(account: Account, params: dict[str, Any]) -> dict[str, Any]:
    image = account.images.get(params["ImageName"])
    if image is None or not image.owned:
        raise AppStreamError(
            "ResourceNotFoundException", f"The image {params['ImageName']} does not exist in this account."
        )
    if image.state != "AVAILABLE":
        raise AppStreamError(
            "ResourceNotAvailableException",
            f"The image {image.name} is {image.state}; only AVAILABLE images export.",
        )
    account.check_role(params["IamRoleArn"])
    ami_name = params["AmiName"]
    if any(
        t.ami_name == ami_name and t.state in ("EXPORTING", "COMPLETED") for t in account.exports.values()
    ):
        raise AppStreamError(
            "OperationNotPermittedException", f"An AMI named {ami_name} already exists in {account.region}."
        )
    exporting = sum(1 for t in account.exports.values() if t.state == "EXPORTING")
    if exporting >= account.scenario.quotas.concurrent_exports:
        raise AppStreamError(
            "LimitExceededException",
            f"{exporting} exports are running; the limit is {account.scenario.quotas.concurrent_exports}.",
        )
    task = ExportTask(
        task_id=account.random.uuid(),
        image_arn=image.arn,
        image_name=image.name,
        ami_name=ami_name,
        created=account.now,
        state="EXPORTING",
        ami_description=params.get("AmiDescription") or None,
        tags=dict(params.get("TagSpecifications") or {}),
    )
    begin_export(account, task)
    return {"ExportImageTask": render.export_task(task)}


@operation("GetExportImageTask")
def get_export_image_task(account: Account, params: dict[str, Any]) -> dict[str, Any]:
    task_id = params.get("TaskId")
    if task_id is None:
        raise AppStreamError("ValidationException", "TaskId is required.")
    task = account.exports.get(task_id)
    if task is None:
        raise AppStreamError("ResourceNotFoundException", f"The export image task {task_id} does not exist.")
    return {"ExportImageTask": render.export_task(task)}


@operation("ListExportImageTasks")
def list_export_image_tasks(account: Account, params: dict[str, Any]) -> dict[str, Any]:
    tasks = list(account.exports.values())
    filters = params.get("Filters") or []
    reading = account.scenario.assumptions.export_task_filters
    if filters and reading == "rejected":
        # ValidationException: the model lists no error of its own for a bad filter.
        raise AppStreamError("ValidationException", "Filters are not supported for ListExportImageTasks.")
    if reading == "ignored":
        filters = []
    for spec in filters:
        field = _FILTERS.get(spec["Name"].lower().replace("-", "").replace("_", ""))
        if field is None:
            raise AppStreamError(
                "ValidationException",
                f"Unsupported filter name {spec['Name']}; use one of state, task-id, image-name, image-arn, "
                "ami-name, ami-id.",
            )
        wanted = set(spec["Values"])
        tasks = [task for task in tasks if getattr(task, field) in wanted]
    size = params.get("MaxResults") or LIST_PAGE
    chunk, token = page(tasks, "ListExportImageTasks", params.get("NextToken"), size)
    result: dict[str, Any] = {"ExportImageTasks": [render.export_task(task) for task in chunk]}
    if token:
        result["NextToken"] = token
    return result
