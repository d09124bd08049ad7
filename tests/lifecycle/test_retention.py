"""Retention (statemachines/retention.asl.json) end to end on the local engine; exported AMIs in moto EC2."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from functions.core import names
from functions.core.context import get_context
from functions.core.execution import Execution
from functions.core.plan import build_plan
from functions.core.records import RunRecords
from functions.core.settings import get_settings
from functions.workflows import get_workflow
from functions.workflows.image_pipeline.request import PipelineRequest, parse_request
from functions.workflows.retention import policy as retention_service
from image_factory.local_engine import resources
from image_factory.local_engine.engine import LocalEngine
from tests.engine.pipeline_support import fast_request
from tests.lifecycle.fleet_support import (
    IMPORT_ROLE,
    SOURCE_AMI,
    engine_for,
    fleet_scenario,
    make_builder,
    make_fleet,
    make_images,
    run_with_output,
)
from tests.readings import every_reading

pytestmark = pytest.mark.slow
DEFINITION = get_workflow("retention").definition
STAGE = resources.STAGE  # the stage the engine's functions run in
WEB = {names.TAG_PIPELINE: "web", names.TAG_STAGE: STAGE}


def retention(**extra: Any) -> dict[str, Any]:
    return {
        "name": "nightly-retention",
        "pipelines": ["web"],
        "keep_images": 2,
        "keep_amis": 2,
        "builder_max_age_hours": 1,
        "waits": {"builders": {"expected_minutes": 3}},
        **extra,
    }


def account(engine: LocalEngine) -> dict[str, list[str]]:
    """Images (oldest first), AMIs and snapshots of pipeline web, and image builders, as they are."""
    ec2 = boto3.client("ec2", region_name=engine.region)
    amis = ec2.describe_images(Owners=["self"])["Images"]
    inventory = engine.inventory()
    return {
        "images": [image["name"] for image in inventory["images"]],
        "amis": sorted(str(ami["Name"]) for ami in amis),
        "snapshots": sorted(s["SnapshotId"] for s in ec2.describe_snapshots(OwnerIds=["self"])["Snapshots"]),
        "builders": sorted(builder["name"] for builder in inventory["image_builders"]),
    }


def make_ami(engine: LocalEngine, name: str, tags: dict[str, str], region: str | None = None) -> None:
    """An exported AMI in moto EC2, with its EBS snapshot, tagged as an export tags it; or its copy in
    `region`, whose snapshot has the tags too (the AMI distribution's CopyImage gives them)."""
    copy = region is not None
    region = region or engine.region
    ec2 = boto3.client("ec2", region_name=region)
    volume = ec2.create_volume(Size=200, AvailabilityZone=f"{region}a")
    snapshot = ec2.create_snapshot(VolumeId=volume["VolumeId"])["SnapshotId"]
    ec2.delete_volume(VolumeId=volume["VolumeId"])
    ami = ec2.register_image(
        Name=name,
        RootDeviceName="/dev/sda1",
        BlockDeviceMappings=[{"DeviceName": "/dev/sda1", "Ebs": {"SnapshotId": snapshot}}],
    )["ImageId"]
    (made,) = ec2.describe_images(ImageIds=[ami])["Images"]
    tagged = [ami, *(m["Ebs"]["SnapshotId"] for m in made["BlockDeviceMappings"])] if copy else [ami]
    ec2.create_tags(Resources=tagged, Tags=[{"Key": key, "Value": value} for key, value in tags.items()])


def seed(engine: LocalEngine) -> None:
    """Pipeline web: four images (the oldest used by a fleet), four exported AMIs, two run builders;
    and an image of another pipeline."""
    for name in ("web-1", "web-2", "web-3", "web-4"):
        make_images(engine, name, tags=WEB)
    make_images(engine, "other-1", tags={names.TAG_PIPELINE: "other"})
    make_fleet(engine, "web-fleet", "web-1")
    for index in range(1, 5):
        make_ami(engine, f"web-ami-{index}", WEB)
    settings = get_settings()
    RunRecords(settings.runs_table, settings.event_bus).start_run("active-run", "web", "arn:active", {})
    make_builder(engine, "forgotten-builder", "finished-run")
    make_builder(engine, "busy-builder", "active-run")
    engine.time.sleep(2 * 3600)  # both builders are now older than the request's limit of 1 h


def decisions(output: dict[str, Any] | None, kind: str) -> dict[str, str]:
    assert output is not None
    return {entry["name"]: entry["action"] for entry in output[kind]}


def test_a_dry_run_reports_what_would_be_deleted_and_deletes_nothing() -> None:
    with engine_for(DEFINITION) as engine:
        seed(engine)
        before = account(engine)
        outcome, output = run_with_output(engine, {k: v for k, v in retention().items() if k != "dry_run"})
        after = account(engine)

    assert outcome.status == "SUCCEEDED", outcome.error
    assert after == before
    assert output is not None and output["dry_run"] is True
    assert decisions(output, "images") == {
        "web-4": "keep",
        "web-3": "keep",
        "web-2": "would delete",
        "web-1": "keep",  # older, but a fleet streams from it
    }
    reasons = {entry["name"]: entry["reason"] for entry in output["images"]}
    assert "in use by fleet web-fleet" in reasons["web-1"]
    assert sorted(decisions(output, "amis").values()) == ["keep", "keep", "would delete", "would delete"]
    assert decisions(output, "builders") == {"forgotten-builder": "would delete", "busy-builder": "keep"}
    assert "other-1" not in decisions(output, "images")
    plan_step = next(step for step in outcome.steps if step.name == "retention:plan")
    assert plan_step.status == "SUCCEEDED"


@pytest.mark.usefixtures("deployed_permissions")
@every_reading()
def test_retention_deletes_old_images_amis_with_their_snapshots_and_forgotten_builders(
    assumptions: dict[str, str],
) -> None:
    with engine_for(DEFINITION, fleet_scenario(assumptions=assumptions)) as engine:
        seed(engine)
        before = account(engine)
        outcome, output = run_with_output(engine, retention(dry_run=False))
        after = account(engine)

    assert outcome.status == "SUCCEEDED", outcome.error
    assert after["images"] == ["web-1", "web-3", "web-4", "other-1"]
    assert after["amis"] == ["web-ami-3", "web-ami-4"]
    assert len(after["snapshots"]) == len(before["snapshots"]) - 2
    assert after["builders"] == ["busy-builder"]
    assert output is not None
    assert output["summary"]["images"]["deleted"] == 1
    assert output["summary"]["amis"]["deleted"] == 2
    assert output["summary"]["builders"]["deleted"] == 1


def test_an_image_that_comes_into_use_after_the_plan_is_kept() -> None:
    faults = [{"operation": "DeleteImage", "error": "ResourceInUseException", "message": "used by fleet new"}]
    with engine_for(DEFINITION, fleet_scenario(faults)) as engine:
        seed(engine)
        outcome, output = run_with_output(engine, retention(dry_run=False, amis=False, reap_builders=False))
        after = account(engine)

    assert outcome.status == "SUCCEEDED", outcome.error
    assert "web-2" in after["images"]
    assert output is not None
    web_2 = next(entry for entry in output["images"] if entry["name"] == "web-2")
    assert web_2["outcome"] == "kept" and "in use" in web_2["detail"]
    assert output["summary"]["images"]["kept_in_use"] == 1


@pytest.mark.parametrize(
    ("faults", "step", "code", "left"),
    [
        # plan: AppStream cannot list images: nothing is deleted
        (
            [{"operation": "DescribeImages", "error": "InternalFailure", "times": None}],
            "retention:plan",
            "AppStreamUnavailable",
            {"images": 5, "amis": 4, "builders": 2},
        ),
        # apply: AppStream refuses to delete the stopped builder; the other deletions are done
        (
            [{"operation": "DeleteImageBuilder", "error": "OperationNotPermittedException", "times": None}],
            "retention:apply",
            "RetentionIncomplete",
            {"images": 4, "amis": 2, "builders": 2},
        ),
    ],
)
def test_a_fault_in_any_phase_fails_the_run_naming_it(
    faults: list[dict[str, Any]], step: str, code: str, left: dict[str, int]
) -> None:
    with engine_for(DEFINITION, fleet_scenario(faults)) as engine:
        seed(engine)
        outcome, _ = run_with_output(engine, retention(dry_run=False))
        after = account(engine)

    assert outcome.status == "FAILED"
    assert outcome.error is not None
    assert (outcome.error.step, outcome.error.code) == (step, code)
    assert {kind: len(after[kind]) for kind in left} == left


def pipeline_request(**source: str) -> dict[str, Any]:
    """A pipeline request of pipeline web as its run record stores it."""
    request = parse_request({**fast_request("from-existing-image"), "pipeline": "web", "source": source})
    assert isinstance(request, PipelineRequest)
    return request.to_document()


def record_pipeline_runs(records: RunRecords) -> None:
    """Image pipeline runs recorded as the pipeline records them
    (functions/workflows/image_pipeline/{imports,snapshots,exports}.py): one waiting for a builder
    slot to build from web-2 (no builder yet), one that made web-3 and is exporting it, one that
    finished after building from web-4."""
    records.start_run("building-run", "web", "arn:building", pipeline_request(image_name="web-2"))
    records.step_started("building-run", "source", {"image_name": "web-2"})
    records.step_succeeded("building-run", "source", {"image_name": "web-2"}, 1)
    records.step_started("building-run", "builder_slot", {})

    records.start_run(
        "exporting-run",
        "web",
        "arn:exporting",
        pipeline_request(ami_id=SOURCE_AMI, import_role_arn=IMPORT_ROLE),
    )
    records.record_phase("exporting-run", "snapshot", 60, {"image_name": "web-3", "mode": "agent"}, "agent")
    records.step_started("exporting-run", "export", {"ami_name": "web-ami-5", "image_name": "web-3"})

    records.start_run("finished-run", "web", "arn:finished", pipeline_request(image_name="web-4"))
    records.step_started("finished-run", "source", {"image_name": "web-4"})
    records.finish_run("finished-run", "SUCCEEDED")


def test_images_a_running_pipeline_run_still_needs_are_kept_before_any_builder_uses_them() -> None:
    with engine_for(DEFINITION) as engine:
        seed(engine)
        make_images(engine, "web-5", tags=WEB)
        settings = get_settings()
        record_pipeline_runs(RunRecords(settings.runs_table, settings.event_bus))
        outcome, output = run_with_output(
            engine, retention(dry_run=False, keep_images=1, amis=False, reap_builders=False)
        )
        after = account(engine)

    assert outcome.status == "SUCCEEDED", outcome.error
    assert output is not None
    reasons = {entry["name"]: (entry["action"], entry["reason"]) for entry in output["images"]}
    assert reasons["web-2"] == ("keep", "used by running run building-run")
    assert reasons["web-3"] == ("keep", "used by running run exporting-run")
    assert reasons["web-4"][0] == "delete"  # its run has finished: nothing protects it
    assert after["images"] == ["web-1", "web-2", "web-3", "other-1", "web-5"]


def test_an_image_a_run_names_after_the_plan_is_kept_when_retention_deletes() -> None:
    with engine_for(DEFINITION) as engine:
        seed(engine)
        request = retention(dry_run=False, keep_images=1, amis=False, reap_builders=False)
        plan = build_plan(
            "retention",
            get_workflow("retention").parse(request),
            Execution(id="arn:retention", name="late", start_time="2026-11-26T00:00:00Z"),
            get_settings().stage,
        )
        context = get_context()
        context.records.start_run(plan.run_id, plan.pipeline, plan.execution_arn, plan.request)
        planned = retention_service.plan_retention(context, plan)
        # A pipeline run starts from web-2 between the plan and the deletions.
        context.records.start_run("late-run", "web", "arn:late", pipeline_request(image_name="web-2"))
        applied = retention_service.apply(context, plan, planned)
        after = account(engine)

    web_2 = next(decision for decision in applied.decisions if decision.name == "web-2")
    assert web_2.delete and (web_2.outcome, web_2.detail) == ("kept", "used by running run late-run")
    assert "web-2" in after["images"]
    assert "web-3" not in after["images"]  # what no run needs is still deleted
