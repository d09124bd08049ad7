"""Export tasks: lifecycle, rules, faults, filters and pagination."""

from __future__ import annotations

import re
from typing import Any

import pytest

from appstream_emulator import AppStreamError, Emulator, ManualClock, Scenario

ROLE = "arn:aws:iam::123456789012:role/AppStreamExport"


def make(**scenario: Any) -> tuple[Emulator, ManualClock]:
    clock = ManualClock()
    emulator = Emulator(Scenario.model_validate({"durations": {"import": 10}, **scenario}), clock)
    return emulator, clock


def available_image(emulator: Emulator, clock: ManualClock, name: str = "golden") -> None:
    params = {"Name": name, "SourceAmiId": "ami-0123456789abcdef0", "IamRoleArn": ROLE}
    emulator.call("CreateImportedImage", params)
    clock.advance(10)


def export(
    emulator: Emulator, image: str = "golden", ami: str = "golden-ami", **extra: Any
) -> dict[str, Any]:
    params = {"ImageName": image, "AmiName": ami, "IamRoleArn": ROLE, **extra}
    return emulator.call("CreateExportImageTask", params)["ExportImageTask"]


def get(emulator: Emulator, task_id: str) -> dict[str, Any]:
    return emulator.call("GetExportImageTask", {"TaskId": task_id})["ExportImageTask"]


def error_of(emulator: Emulator, operation: str, params: dict[str, Any]) -> AppStreamError:
    with pytest.raises(AppStreamError) as raised:
        emulator.call(operation, params)
    return raised.value


def test_export_completes_with_an_ami_id() -> None:
    emulator, clock = make()
    available_image(emulator, clock)
    task = export(emulator, AmiDescription="exported", TagSpecifications={"run": "r1"})
    assert task["State"] == "EXPORTING" and "AmiId" not in task
    assert re.fullmatch(
        r"[a-f0-9]{8}-[a-f0-9]{4}-4[a-f0-9]{3}-[89ab][a-f0-9]{3}-[a-f0-9]{12}", task["TaskId"]
    )
    assert task["ImageArn"].endswith(":image/golden") and task["TagSpecifications"] == {"run": "r1"}
    clock.advance(2099)
    assert get(emulator, task["TaskId"])["State"] == "EXPORTING"
    clock.advance(1)
    done = get(emulator, task["TaskId"])
    assert done["State"] == "COMPLETED"
    assert re.fullmatch(r"ami-[0-9a-f]{17}", done["AmiId"])
    assert emulator.inventory()["export_tasks"] == [
        {"id": task["TaskId"], "image_name": "golden", "state": "COMPLETED", "ami_id": done["AmiId"]}
    ]


@pytest.mark.parametrize(
    ("outcome", "code"), [("FAILED", "EXPORT_FAILED"), ("TIMED_OUT", "EXPORT_TIMED_OUT")]
)
def test_export_faults(outcome: str, code: str) -> None:
    emulator, clock = make(
        faults=[{"resource": "export_task", "outcome": outcome, "reason": "snapshot copy failed"}]
    )
    available_image(emulator, clock)
    task = export(emulator)
    clock.advance(2100)
    finished = get(emulator, task["TaskId"])
    assert finished["State"] == outcome and "AmiId" not in finished
    assert finished["ErrorDetails"] == [{"ErrorCode": code, "ErrorMessage": "snapshot copy failed"}]


def test_only_available_images_owned_by_the_account_export() -> None:
    emulator, _ = make()
    emulator.call(
        "CreateImportedImage", {"Name": "golden", "SourceAmiId": "ami-0123456789abcdef0", "IamRoleArn": ROLE}
    )
    assert error_of(
        emulator, "CreateExportImageTask", {"ImageName": "golden", "AmiName": "abc", "IamRoleArn": ROLE}
    ).code == ("ResourceNotAvailableException")
    public = emulator.call("DescribeImages", {"Type": "PUBLIC"})["Images"][0]["Name"]
    assert error_of(
        emulator, "CreateExportImageTask", {"ImageName": public, "AmiName": "abc", "IamRoleArn": ROLE}
    ).code == ("ResourceNotFoundException")
    assert error_of(
        emulator, "CreateExportImageTask", {"ImageName": "nope", "AmiName": "abc", "IamRoleArn": ROLE}
    ).code == ("ResourceNotFoundException")


def test_ami_name_is_unique_unless_the_earlier_export_failed() -> None:
    emulator, clock = make(faults=[{"resource": "export_task", "name": "first-*"}])
    available_image(emulator, clock)
    export(emulator, ami="first-try")
    assert error_of(
        emulator, "CreateExportImageTask", {"ImageName": "golden", "AmiName": "first-try", "IamRoleArn": ROLE}
    ).code == ("OperationNotPermittedException")
    clock.advance(2100)  # the first export failed: its AMI name is free again
    assert export(emulator, ami="first-try")["State"] == "EXPORTING"


def test_ami_name_pattern_and_concurrency_quota() -> None:
    emulator, clock = make(quotas={"concurrent_exports": 1})
    available_image(emulator, clock)
    assert error_of(
        emulator, "CreateExportImageTask", {"ImageName": "golden", "AmiName": "a!", "IamRoleArn": ROLE}
    ).code == ("ValidationException")
    export(emulator, ami="one")
    assert error_of(
        emulator, "CreateExportImageTask", {"ImageName": "golden", "AmiName": "two", "IamRoleArn": ROLE}
    ).code == ("LimitExceededException")


def test_exporting_image_cannot_be_deleted() -> None:
    emulator, clock = make()
    available_image(emulator, clock)
    export(emulator)
    assert error_of(emulator, "DeleteImage", {"Name": "golden"}).code == "ResourceInUseException"
    clock.advance(2100)
    emulator.call("DeleteImage", {"Name": "golden"})


def test_get_unknown_task() -> None:
    emulator, _ = make()
    missing = "00000000-0000-4000-8000-000000000000"
    assert error_of(emulator, "GetExportImageTask", {"TaskId": missing}).code == "ResourceNotFoundException"
    assert error_of(emulator, "GetExportImageTask", {"TaskId": "not-a-uuid"}).code == "ValidationException"


def test_list_filters() -> None:
    emulator, clock = make(faults=[{"resource": "export_task", "name": "bad-*"}])
    available_image(emulator, clock, "one")
    available_image(emulator, clock, "two")
    export(emulator, "one", "bad-ami")
    clock.advance(2100)
    export(emulator, "one", "good-ami")
    export(emulator, "two", "other-ami")

    def listed(filters: list[dict[str, Any]]) -> list[str]:
        tasks = emulator.call("ListExportImageTasks", {"Filters": filters})["ExportImageTasks"]
        return sorted(task["AmiName"] for task in tasks)

    assert listed([{"Name": "state", "Values": ["EXPORTING"]}]) == ["good-ami", "other-ami"]
    assert listed([{"Name": "State", "Values": ["FAILED", "COMPLETED"]}]) == ["bad-ami"]
    assert listed([{"Name": "image-name", "Values": ["one"]}]) == ["bad-ami", "good-ami"]
    assert listed(
        [{"Name": "image-name", "Values": ["one"]}, {"Name": "state", "Values": ["EXPORTING"]}]
    ) == ["good-ami"]
    arn = emulator.call("DescribeImages", {"Names": ["two"]})["Images"][0]["Arn"]
    assert listed([{"Name": "image-arn", "Values": [arn]}]) == ["other-ami"]
    unsupported = error_of(
        emulator, "ListExportImageTasks", {"Filters": [{"Name": "colour", "Values": ["red"]}]}
    )
    assert unsupported.code == "ValidationException" and "colour" in unsupported.message


def test_list_paginates_with_default_and_max_page() -> None:
    emulator, clock = make(quotas={"concurrent_exports": 200})
    available_image(emulator, clock)
    for index in range(120):
        export(emulator, ami=f"ami-name-{index:03d}")
    first = emulator.call("ListExportImageTasks", {})
    assert len(first["ExportImageTasks"]) == 50 and "NextToken" in first
    seen = [t["AmiName"] for t in first["ExportImageTasks"]]
    token = first["NextToken"]
    while token:
        result = emulator.call("ListExportImageTasks", {"NextToken": token})
        seen += [t["AmiName"] for t in result["ExportImageTasks"]]
        token = result.get("NextToken")
    assert seen == [f"ami-name-{index:03d}" for index in range(120)]
    assert len(emulator.call("ListExportImageTasks", {"MaxResults": 500})["ExportImageTasks"]) == 120
    assert error_of(emulator, "ListExportImageTasks", {"MaxResults": 501}).code == "ValidationException"
