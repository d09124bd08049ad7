"""The published agent document schemas are the single source, and everyone agrees with them.

* agent/schemas/*.schema.json are exactly what the pydantic models say (regenerate with
  `python agent/generate.py`), and so is everything else generated into agent/;
* what the workflow writes as a job, and what the emulator's simulated agent writes as a
  result, validate against the published files;
* the PowerShell agent reads exactly the job's fields and writes exactly the result's and
  status's fields (checked on its syntax tree in test_agent_script.py).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
import jsonschema
import pytest
from moto import mock_aws

from agent_contract import documents as agent_documents
from agent_contract.documents import AgentJob, AgentStatus, job_key, result_key, status_key
from appstream_emulator import Emulator, InMemoryJobsStore, ManualClock, S3JobsStore, Scenario
from functions.core.execution import Execution
from functions.workflows.image_pipeline.plan import build_plan
from functions.workflows.image_pipeline.request import PipelineRequest
from functions.workflows.image_pipeline.snapshots import agent_job

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = ROOT / "agent" / "schemas"
BUCKET = "image-factory-jobs"
BASE = "AppStream-WinServer2022-09-08-2025"
SCRIPT = {"s3_uri": f"s3://{BUCKET}/scripts/install.ps1", "sha256": hashlib.sha256(b"install").hexdigest()}


def load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("agent_generate", ROOT / "agent" / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("agent_generate", module)
    spec.loader.exec_module(module)
    return module


def published(name: str) -> dict[str, Any]:
    schema: dict[str, Any] = json.loads((SCHEMAS / f"{name}.schema.json").read_text())
    return schema


def assert_valid(document: dict[str, Any], schema_name: str) -> None:
    jsonschema.Draft202012Validator(
        published(schema_name), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    ).validate(document)


@pytest.mark.parametrize(
    ("name", "model_schema"),
    [
        ("agent-job", agent_documents.job_json_schema),
        ("agent-result", agent_documents.result_json_schema),
        ("agent-status", agent_documents.status_json_schema),
    ],
)
def test_published_schema_is_the_models_schema(name: str, model_schema: Any) -> None:
    assert published(name) == model_schema(), (
        f"agent/schemas/{name}.schema.json drifted: python agent/generate.py"
    )


def test_nothing_generated_into_agent_has_drifted() -> None:
    stale = [str(path.relative_to(ROOT)) for path in load_generator().drifted()]
    assert stale == [], f"out of date (run `python agent/generate.py`): {stale}"


def test_the_drift_check_notices_a_changed_model(monkeypatch: pytest.MonkeyPatch) -> None:
    generator = load_generator()

    def changed() -> dict[str, Any]:
        schema = agent_documents.job_json_schema()
        schema["properties"]["run_id"]["maxLength"] = 64
        return schema

    monkeypatch.setitem(generator.SCHEMAS, "agent-job.schema.json", changed)
    monkeypatch.setitem(generator.SHAPES, "JobShape", changed)
    assert {path.name for path in generator.drifted()} == {"agent-job.schema.json", "BuilderAgent.ps1"}


def test_the_agents_job_shape_carries_the_schemas_rules() -> None:
    job = load_generator().shape(agent_documents.job_json_schema())
    assert job["required"] == ["run_id", "builder_name", "image"]
    assert job["properties"]["run_id"] == {
        "type": "string",
        "pattern": "^[A-Za-z0-9._:-]+$",
        "minLength": 1,
        "maxLength": 128,
    }
    script = job["properties"]["scripts"]["items"]
    assert script["required"] == ["s3_uri", "sha256"] and script["properties"]["sha256"]["pattern"] == (
        "^[0-9a-f]{64}$"
    )
    assert job["properties"]["scripts"]["default"] == []  # pydantic's default_factory, made explicit
    assert job["properties"]["timeout_minutes"] == {
        "type": "integer",
        "minimum": 1,
        "maximum": 1440,
        "default": 60,
    }
    assert job["properties"]["image"]["properties"]["tags"]["values"] == {"type": "string"}
    assert job["properties"]["image"]["properties"]["display_name"]["nullable"] is True


def plan_with_scripts(**image_assistant: bool) -> Any:
    request = PipelineRequest.model_validate(
        {
            "pipeline": "golden",
            "source": {
                "ami_id": "ami-0123456789abcdef0",
                "import_role_arn": "arn:aws:iam::123456789012:role/r",
            },
            "builder": {"instance_type": "stream.standard.large", "subnet_ids": ["subnet-0a1b2c3d4e5f60718"]},
            "snapshot": {
                "display_name": "Golden",
                "description": "nightly",
                "tags": {"team": "x"},
                "scripts": [SCRIPT],
                "image_assistant": image_assistant,
            },
        }
    )
    execution = Execution(
        id="arn:aws:states:us-east-1:123456789012:execution:image-pipeline:run-1",
        name="run-1",
        start_time="2026-01-01T00:00:00.000Z",
    )
    return build_plan(request, execution, "test")


def test_the_job_the_workflow_writes_validates_against_the_published_schema() -> None:
    job = agent_job(plan_with_scripts(), ceiling_seconds=5400)
    document = json.loads(job.model_dump_json())
    assert_valid(document, "agent-job")
    assert document["scripts"] == [SCRIPT] and document["timeout_minutes"] == 90


def test_the_requests_image_assistant_options_reach_the_agent() -> None:
    job = agent_job(plan_with_scripts(use_latest_agent_version=True), ceiling_seconds=5400)
    assert job.image_assistant.use_latest_agent_version is True
    assert job.image_assistant.enable_dynamic_app_catalog is False


def test_a_job_breaking_the_schema_is_refused_by_the_published_schema() -> None:
    document = json.loads(agent_job(plan_with_scripts(), ceiling_seconds=5400).model_dump_json())
    document["scripts"][0]["sha256"] = "not-a-pin"
    with pytest.raises(jsonschema.ValidationError):
        assert_valid(document, "agent-job")


def running_emulator(store: Any) -> tuple[Emulator, ManualClock]:
    clock = ManualClock()
    emulator = Emulator(Scenario.model_validate({}), clock, jobs=store)
    emulator.call(
        "CreateImageBuilder", {"Name": "builder", "ImageName": BASE, "InstanceType": "stream.standard.large"}
    )
    clock.advance(720)
    return emulator, clock


def job(**extra: Any) -> AgentJob:
    return AgentJob.model_validate(
        {
            "run_id": "run-1",
            "builder_name": "builder",
            "image": {"name": "app-image"},
            "scripts": [SCRIPT],
            **extra,
        }
    )


def test_the_emulated_agents_results_validate_against_the_published_schema() -> None:
    store = InMemoryJobsStore()
    emulator, clock = running_emulator(store)
    store.put_job(job())
    emulator.call("DescribeImageBuilders", {})  # the agent polls
    for _ in range(60):  # the simulated job takes minutes
        clock.advance(60)
        emulator.call("DescribeImageBuilders", {})
        if "builder" in store.results:
            break
    succeeded = store.results["builder"]
    assert succeeded.status == "SUCCEEDED"
    assert_valid(json.loads(succeeded.model_dump_json()), "agent-result")


def test_the_emulated_agents_refusal_of_a_misaddressed_job_validates_too() -> None:
    store = InMemoryJobsStore()
    emulator, _ = running_emulator(store)
    store.jobs["builder"] = job(run_id="run-2", builder_name="other-builder")
    emulator.call("DescribeImageBuilders", {})
    misaddressed = store.results["builder"]
    assert misaddressed.status == "FAILED" and misaddressed.run_id == "run-2"
    assert_valid(json.loads(misaddressed.model_dump_json()), "agent-result")


def test_the_emulated_agents_answer_to_an_invalid_job_validates_too() -> None:
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket=BUCKET)
        emulator, _ = running_emulator(
            S3JobsStore(BUCKET, lambda: boto3.client("s3", region_name="us-east-1"))
        )
        s3.put_object(Bucket=BUCKET, Key=job_key("builder"), Body=b'{"run_id": "run-1"}')
        emulator.call("DescribeImageBuilders", {})
        document = json.loads(s3.get_object(Bucket=BUCKET, Key=result_key("builder"))["Body"].read())
    assert document["status"] == "FAILED" and document["run_id"] == "unknown"
    assert_valid(document, "agent-result")


def test_the_status_document_sits_beside_the_job_and_refuses_unknown_phases() -> None:
    assert status_key("b-1") == "jobs/b-1/status.json"
    status = {
        "run_id": "run-1",
        "builder_name": "b-1",
        "agent_version": "1.0.0",
        "phase": "RUNNING_SCRIPT",
        "script_index": 1,
        "script_count": 2,
        "started_at": "2026-01-01T00:00:00.000Z",
        "updated_at": "2026-01-01T00:01:00.000Z",
    }
    assert_valid(status, "agent-status")
    assert AgentStatus.model_validate(status).output_tail == ""
    with pytest.raises(jsonschema.ValidationError):
        assert_valid({**status, "phase": "SLEEPING"}, "agent-status")
