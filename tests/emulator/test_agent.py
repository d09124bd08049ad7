"""The simulated builder agent against S3 (moto), and the job/result documents."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from pydantic import ValidationError

from agent_contract.documents import (
    AgentJob,
    AgentResult,
    ImageSpec,
    job_json_schema,
    job_key,
    result_json_schema,
    result_key,
)
from appstream_emulator import AppStreamError, Emulator, InMemoryJobsStore, ManualClock, S3JobsStore, Scenario

BUCKET = "image-factory-jobs"
BASE = "AppStream-WinServer2022-09-08-2025"
SCRIPT = {"s3_uri": f"s3://{BUCKET}/scripts/install.ps1", "sha256": hashlib.sha256(b"install").hexdigest()}


def job(builder: str = "builder", image: str = "app-image", run_id: str = "run-1", **extra: Any) -> AgentJob:
    return AgentJob.model_validate(
        {
            "run_id": run_id,
            "builder_name": builder,
            "image": {"name": image, "display_name": "App image", "tags": {"run": run_id}},
            "scripts": [SCRIPT, {**SCRIPT, "s3_uri": f"s3://{BUCKET}/scripts/configure.ps1"}],
            **extra,
        }
    )


@pytest.fixture
def s3() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        yield client


def make(s3: Any, **scenario: Any) -> tuple[Emulator, ManualClock]:
    clock = ManualClock()
    store = S3JobsStore(BUCKET, lambda: boto3.client("s3", region_name="us-east-1"))
    return Emulator(Scenario.model_validate(scenario), clock, jobs=store), clock


def put_job(s3: Any, document: AgentJob | str) -> None:
    body = document if isinstance(document, str) else document.model_dump_json()
    s3.put_object(Bucket=BUCKET, Key=job_key("builder"), Body=body.encode())


def result(s3: Any) -> AgentResult | None:
    try:
        body = s3.get_object(Bucket=BUCKET, Key=result_key("builder"))["Body"].read()
    except s3.exceptions.NoSuchKey:
        return None
    return AgentResult.model_validate_json(body)


def builder_state(emulator: Emulator) -> str:
    return str(emulator.call("DescribeImageBuilders", {"Names": ["builder"]})["ImageBuilders"][0]["State"])


def image_state(emulator: Emulator, name: str = "app-image") -> str:
    return str(emulator.call("DescribeImages", {"Names": [name]})["Images"][0]["State"])


def running_builder(emulator: Emulator, clock: ManualClock) -> None:
    emulator.call(
        "CreateImageBuilder", {"Name": "builder", "ImageName": BASE, "InstanceType": "stream.standard.large"}
    )
    clock.advance(720)
    assert builder_state(emulator) == "RUNNING"


def test_job_runs_then_snapshot_then_image(s3: Any) -> None:
    emulator, clock = make(s3)
    running_builder(emulator, clock)
    put_job(s3, job())
    emulator.call("DescribeImageBuilders", {})  # the agent picks the job up on this poll
    clock.advance(599)
    assert builder_state(emulator) == "RUNNING" and result(s3) is None
    clock.advance(1)
    assert builder_state(emulator) == "SNAPSHOTTING"
    report = result(s3)
    assert report is not None and report.status == "SUCCEEDED" and report.run_id == "run-1"
    assert [script.exit_code for script in report.scripts] == [0, 0]
    assert report.create_image is not None and report.create_image.exit_code == 0
    assert report.duration.total_seconds() == 600
    image = emulator.call("DescribeImages", {"Names": ["app-image"]})["Images"][0]
    assert (image["State"], image["ImageBuilderName"], image["DisplayName"]) == (
        "PENDING",
        "builder",
        "App image",
    )
    assert emulator.call("ListTagsForResource", {"ResourceArn": image["Arn"]}) == {"Tags": {"run": "run-1"}}
    clock.advance(2400)
    assert builder_state(emulator) == "STOPPED" and image_state(emulator) == "PENDING"
    clock.advance(600)
    assert image_state(emulator) == "AVAILABLE"


def test_job_written_before_the_builder_runs_is_found_at_start(s3: Any) -> None:
    emulator, clock = make(s3)
    put_job(s3, job())
    emulator.call(
        "CreateImageBuilder", {"Name": "builder", "ImageName": BASE, "InstanceType": "stream.standard.large"}
    )
    clock.advance(720 + 600)  # one jump: the agent started at RUNNING, not at this call
    assert builder_state(emulator) == "SNAPSHOTTING"


def test_a_job_is_dated_from_when_it_was_issued_not_from_the_next_api_call(s3: Any) -> None:
    emulator, clock = make(s3)
    running_builder(emulator, clock)
    issued = dt.datetime.fromtimestamp(clock.now(), tz=dt.UTC)
    put_job(s3, job(issued_at=issued.isoformat()))
    clock.advance(5000)  # nobody calls the API for a long time: the agent polls on its own
    assert builder_state(emulator) == "STOPPED"
    report = result(s3)
    assert report is not None and report.started_at == issued + dt.timedelta(seconds=30)


def test_a_handled_job_is_not_run_again(s3: Any) -> None:
    emulator, clock = make(s3)
    running_builder(emulator, clock)
    put_job(s3, job())
    emulator.settle()  # the agent finds the job
    clock.advance(600 + 2400 + 600)
    assert image_state(emulator) == "AVAILABLE"
    emulator.call("StartImageBuilder", {"Name": "builder"})
    clock.advance(720 + 600)
    assert builder_state(emulator) == "RUNNING"  # same run_id: the agent leaves it alone


def test_agent_job_fault_fails_the_result_and_makes_no_image(s3: Any) -> None:
    emulator, clock = make(s3, faults=[{"resource": "agent_job", "reason": "install.ps1 exited 1603"}])
    running_builder(emulator, clock)
    put_job(s3, job())
    emulator.call("DescribeImageBuilders", {})
    clock.advance(600)
    assert builder_state(emulator) == "RUNNING"
    report = result(s3)
    assert report is not None and report.status == "FAILED" and report.error == "install.ps1 exited 1603"
    assert [script.exit_code for script in report.scripts] == [0, 1]
    assert [i["name"] for i in emulator.inventory()["images"]] == []


def test_image_fault_ends_the_image_failed(s3: Any) -> None:
    emulator, clock = make(s3, faults=[{"resource": "image", "reason": "sysprep failed"}])
    running_builder(emulator, clock)
    put_job(s3, job())
    emulator.call("DescribeImageBuilders", {})
    clock.advance(600 + 2400 + 600)
    image = emulator.call("DescribeImages", {"Names": ["app-image"]})["Images"][0]
    assert image["State"] == "FAILED" and image["StateChangeReason"]["Message"] == "sysprep failed"
    assert builder_state(emulator) == "STOPPED"


def test_taken_image_name_fails_create_image(s3: Any) -> None:
    emulator, clock = make(s3)
    running_builder(emulator, clock)
    put_job(s3, job(image=BASE))
    emulator.call("DescribeImageBuilders", {})
    clock.advance(600)
    emulator.settle()  # results are written as simulated time is settled
    report = result(s3)
    assert report is not None and report.status == "FAILED"
    assert report.create_image is not None and report.create_image.exit_code == 1
    assert builder_state(emulator) == "RUNNING"


def test_invalid_job_document_is_reported_once(s3: Any) -> None:
    emulator, clock = make(s3)
    running_builder(emulator, clock)
    put_job(s3, json.dumps({"run_id": "r", "builder_name": "builder"}))
    emulator.call("DescribeImageBuilders", {})
    report = result(s3)
    assert report is not None and report.status == "FAILED" and "invalid job document" in (report.error or "")
    s3.delete_object(Bucket=BUCKET, Key=result_key("builder"))
    emulator.call("DescribeImageBuilders", {})
    assert result(s3) is None


def test_stopping_the_builder_abandons_the_job(s3: Any) -> None:
    emulator, clock = make(s3)
    running_builder(emulator, clock)
    put_job(s3, job())
    emulator.call("DescribeImageBuilders", {})
    clock.advance(100)
    emulator.call("StopImageBuilder", {"Name": "builder"})
    clock.advance(1000)
    assert builder_state(emulator) == "STOPPED" and result(s3) is None


def test_missing_bucket_means_no_job() -> None:
    with mock_aws():
        store = S3JobsStore("no-such-bucket", lambda: boto3.client("s3", region_name="us-east-1"))
        assert store.read_job("builder") is None


def test_in_memory_store() -> None:
    store = InMemoryJobsStore()
    clock = ManualClock()
    emulator = Emulator(Scenario(), clock, jobs=store)
    store.put_job(job())
    emulator.call(
        "CreateImageBuilder", {"Name": "builder", "ImageName": BASE, "InstanceType": "stream.standard.large"}
    )
    clock.advance(720 + 600)
    emulator.settle()
    assert store.results["builder"].status == "SUCCEEDED"


def test_job_addressed_to_another_builder_fails() -> None:
    store = InMemoryJobsStore()
    clock = ManualClock()
    emulator = Emulator(Scenario(), clock, jobs=store)
    store.jobs["builder"] = job(builder="other")
    emulator.call(
        "CreateImageBuilder", {"Name": "builder", "ImageName": BASE, "InstanceType": "stream.standard.large"}
    )
    clock.advance(720)
    emulator.call("DescribeImageBuilders", {})
    assert store.results["builder"].status == "FAILED" and "other" in (store.results["builder"].error or "")


def test_documents_validate_and_publish_schemas() -> None:
    assert job_key("b-1") == "jobs/b-1/job.json" and result_key("b-1") == "jobs/b-1/result.json"
    with pytest.raises(ValidationError, match="sha256"):
        job(scripts=[{"s3_uri": f"s3://{BUCKET}/x.ps1", "sha256": "abc"}])
    with pytest.raises(ValidationError, match=r"image\.name"):
        AgentJob.model_validate({"run_id": "r", "builder_name": "b", "image": {"name": "-bad"}})
    with pytest.raises(ValidationError, match="timeout_minutes"):
        job(timeout_minutes=0)
    assert job().image_assistant.use_latest_agent_version is False
    assert "scripts" in job_json_schema()["properties"]
    assert result_json_schema()["properties"]["status"]["enum"] == ["SUCCEEDED", "FAILED"]
    round_trip = AgentJob.model_validate_json(job().model_dump_json())
    assert round_trip == job()


def test_an_administrator_can_run_image_assistant_only_on_a_running_builder(s3: Any) -> None:
    emulator, clock = make(s3)
    emulator.call(
        "CreateImageBuilder", {"Name": "builder", "ImageName": BASE, "InstanceType": "stream.standard.large"}
    )
    with pytest.raises(AppStreamError, match="PENDING, not RUNNING"):
        emulator.run_image_assistant("builder", ImageSpec(name="by-hand"))
    clock.advance(720)
    emulator.run_image_assistant("builder", ImageSpec(name="by-hand"))
    assert builder_state(emulator) == "SNAPSHOTTING"
    clock.advance(2400 + 600)
    assert image_state(emulator, "by-hand") == "AVAILABLE"
    emulator.call("StartImageBuilder", {"Name": "builder"})
    clock.advance(720)
    with pytest.raises(AppStreamError, match="already exists"):
        emulator.run_image_assistant("builder", ImageSpec(name="by-hand"))


def test_a_snapshot_is_as_large_as_its_builders_root_volume(s3: Any) -> None:
    emulator, clock = make(s3)
    emulator.call(
        "CreateImageBuilder",
        {
            "Name": "builder",
            "ImageName": BASE,
            "InstanceType": "stream.standard.large",
            "RootVolumeConfig": {"VolumeSizeInGb": 350},
        },
    )
    clock.advance(720)
    put_job(s3, job())
    emulator.call("DescribeImageBuilders", {})
    clock.advance(600 + 2400 + 600)
    assert image_state(emulator) == "AVAILABLE"
    fleet = {
        "Name": "f",
        "ImageName": "app-image",
        "InstanceType": "stream.standard.large",
        "ComputeCapacity": {"DesiredInstances": 1},
    }
    with pytest.raises(AppStreamError) as raised:
        emulator.call("CreateFleet", {**fleet, "RootVolumeConfig": {"VolumeSizeInGb": 300}})
    assert "app-image (350 GB)" in raised.value.message
    emulator.call("CreateFleet", {**fleet, "RootVolumeConfig": {"VolumeSizeInGb": 350}})
