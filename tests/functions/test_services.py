"""The services against the AppStream emulator (in-process) and moto."""

from __future__ import annotations

import json

import pytest

from appstream_emulator.scenario import OperationFault, ResourceFault, Scenario
from functions.core import clients, names
from functions.core.errors import (
    AppStreamThrottled,
    ExportFailed,
    ImageImportFailed,
    ResourceNameConflict,
    SnapshotFailed,
)
from functions.workflows.image_pipeline import builders, cleanup, exports, imports, slots, snapshots, tasks
from functions.workflows.image_pipeline.phases import CleanupPhase, SlotPhase
from functions.workflows.image_pipeline.plan import Plan
from functions.workflows.image_pipeline.slots import builder_slots
from tests.functions.conftest import Account, FakeLambdaContext, make_plan, phase_until_done, start_run

EXISTING_IMAGE = "AppStream-WinServer2022-09-08-2025"


def existing_image_plan(**overrides: object) -> Plan:
    return make_plan(source={"image_name": EXISTING_IMAGE}, **overrides)


def running_builder(account: Account, plan: Plan) -> None:
    context = account.context
    builder = builders.create_builder(context, plan)
    phase_until_done(account, lambda p: builders.check_builder(context, plan, p), builder)


def builder_names(account: Account) -> list[str]:
    return [builder["name"] for builder in account.emulator.inventory()["image_builders"]]


def test_an_ami_goes_all_the_way_to_an_exported_ami(account: Account) -> None:
    context, plan = account.context, make_plan()
    start_run(account, plan)
    source = phase_until_done(
        account, lambda p: imports.check_source(context, plan, p), imports.start_import(context, plan)
    )
    assert source.state == "AVAILABLE"
    assert slots.acquire(context, plan, SlotPhase()).done
    running_builder(account, plan)
    snapshot = phase_until_done(
        account, lambda p: snapshots.check_snapshot(context, plan, p), snapshots.start_snapshot(context, plan)
    )
    assert snapshot.image_arn is not None
    export = phase_until_done(
        account, lambda p: exports.check_export(context, plan, p), exports.start_export(context, plan)
    )
    assert export.ami_id is not None and export.ami_id.startswith("ami-")
    done = phase_until_done(account, lambda p: cleanup.cleanup(context, plan, p), CleanupPhase())

    assert builder_names(account) == []
    assert builder_slots(context).in_use() == 0
    assert "released the builder slot" in done.actions
    steps = {step["step"]: step["status"] for step in context.records.get_steps(plan.run_id)}
    assert steps == {
        name: "SUCCEEDED" for name in ("source", "builder_slot", "builder", "snapshot", "export", "cleanup")
    }


def test_the_builder_gets_the_requested_root_volume(account: Account) -> None:
    plan = existing_image_plan()
    builders.create_builder(account.context, plan)
    builder = clients.appstream().describe_image_builders(Names=[plan.builder_name])["ImageBuilders"][0]
    assert builder["RootVolumeConfig"]["VolumeSizeInGb"] == 300


def test_a_retried_create_adopts_what_the_run_already_created(account: Account) -> None:
    context, plan = account.context, make_plan()
    first = imports.start_import(context, plan)
    second = imports.start_import(context, plan)
    assert first.image_arn == second.image_arn
    builders.create_builder(context, plan)
    builders.create_builder(context, plan)
    assert builder_names(account) == [plan.builder_name]


def test_a_name_taken_by_another_run_is_a_conflict(account: Account) -> None:
    plan = existing_image_plan()
    clients.appstream().create_image_builder(
        Name=plan.builder_name,
        ImageName=EXISTING_IMAGE,
        InstanceType="stream.standard.large",
        Tags={names.TAG_RUN_ID: "someone-else"},
    )
    with pytest.raises(ResourceNameConflict, match="does not belong to run"):
        builders.create_builder(account.context, plan)


@pytest.mark.parametrize(
    "scenario",
    [
        Scenario(
            faults=[OperationFault(operation="CreateImageBuilder", error="ThrottlingException", times=None)]
        )
    ],
)
def test_throttling_surfaces_as_the_retryable_error_the_state_machine_retries(
    account: Account, capsys: pytest.CaptureFixture[str]
) -> None:
    plan = existing_image_plan()
    with pytest.raises(AppStreamThrottled, match=r"CreateImageBuilder .*ThrottlingException"):
        builders.create_builder(account.context, plan)
    # The handler lets it propagate: the exception's class name is the ASL error name.
    with pytest.raises(AppStreamThrottled):
        tasks.create_builder({"plan": plan.to_state()}, FakeLambdaContext())  # type: ignore[arg-type]
    # ...and the throttling is counted for the stack's alarm (an EMF line on stdout).
    emitted = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    assert any(document.get(names.APPSTREAM_THROTTLED_METRIC) for document in emitted)


@pytest.mark.parametrize(
    "scenario",
    [Scenario(faults=[ResourceFault(resource="imported_image", reason="the AMI does not boot with UEFI")])],
)
def test_a_failed_import_is_terminal_with_appstreams_reason(account: Account) -> None:
    context, plan = account.context, make_plan()
    start_run(account, plan)
    with pytest.raises(ImageImportFailed, match=r"IMAGE_IMPORT_FAILURE.*UEFI"):
        phase_until_done(
            account, lambda p: imports.check_source(context, plan, p), imports.start_import(context, plan)
        )
    run = context.records.get_run(plan.run_id)
    assert run is not None and run["error"]["code"] == "ImageImportFailed"
    assert run["error"]["step"] == "source"


@pytest.mark.parametrize(
    "scenario", [Scenario(faults=[ResourceFault(resource="export_task", reason="KMS key denied")])]
)
def test_a_failed_export_names_the_export_error(account: Account) -> None:
    context, plan = (
        account.context,
        existing_image_plan(export={"role_arn": "arn:aws:iam::123456789012:role/x"}),
    )
    start_run(account, plan)
    running_builder(account, plan)
    phase_until_done(
        account, lambda p: snapshots.check_snapshot(context, plan, p), snapshots.start_snapshot(context, plan)
    )
    with pytest.raises(ExportFailed, match="KMS key denied"):
        phase_until_done(
            account, lambda p: exports.check_export(context, plan, p), exports.start_export(context, plan)
        )


@pytest.mark.parametrize(
    "scenario", [Scenario(faults=[ResourceFault(resource="agent_job", reason="install-apps.ps1 exited 1")])]
)
def test_a_failed_agent_job_fails_the_snapshot(account: Account) -> None:
    context, plan = account.context, existing_image_plan()
    start_run(account, plan)
    running_builder(account, plan)
    with pytest.raises(SnapshotFailed, match=r"install-apps\.ps1 exited 1"):
        phase_until_done(
            account,
            lambda p: snapshots.check_snapshot(context, plan, p),
            snapshots.start_snapshot(context, plan),
        )


def test_cleanup_is_done_at_once_when_nothing_was_created(account: Account) -> None:
    context, plan = account.context, make_plan()
    start_run(account, plan)
    done = cleanup.cleanup(context, plan, CleanupPhase())
    assert done.done
    assert done.builder_state == "ABSENT"
    assert account.emulator.call_counts["DeleteImageBuilder"] == 0
    assert builder_slots(context).in_use() == 0


def test_cleanup_stops_then_deletes_a_running_builder_and_frees_its_slot(account: Account) -> None:
    context, plan = account.context, existing_image_plan()
    start_run(account, plan)
    slots.acquire(context, plan, SlotPhase())
    running_builder(account, plan)
    done = phase_until_done(account, lambda p: cleanup.cleanup(context, plan, p), CleanupPhase())
    assert done.actions[:2] == [
        f"stopped image builder {plan.builder_name!r}",
        f"deleted image builder {plan.builder_name!r}",
    ]
    assert builder_names(account) == []
    assert not builder_slots(context).holds(plan.run_id)


@pytest.mark.parametrize(
    "scenario",
    [Scenario(faults=[OperationFault(operation="ListTagsForResource", error="ResourceNotFoundException")])],
)
def test_cleanup_counts_a_builder_deleted_while_it_looked_as_gone(
    account: Account,
) -> None:
    context, plan = account.context, existing_image_plan()
    start_run(account, plan)
    slots.acquire(context, plan, SlotPhase())
    running_builder(account, plan)
    # The builder is described, then gone when its tags are read (its deletion completed in between).
    done = cleanup.cleanup(context, plan, CleanupPhase())
    assert done.builder_state == "ABSENT" and done.slot_released
    assert not builder_slots(context).holds(plan.run_id) and builder_slots(context).in_use() == 0


def test_cleanup_leaves_a_builder_that_is_not_the_runs(account: Account) -> None:
    context, plan = account.context, existing_image_plan()
    start_run(account, plan)
    clients.appstream().create_image_builder(
        Name=plan.builder_name,
        ImageName=EXISTING_IMAGE,
        InstanceType="stream.standard.large",
        Tags={names.TAG_RUN_ID: "someone-else"},
    )
    done = cleanup.cleanup(context, plan, CleanupPhase())
    assert done.done
    assert builder_names(account) == [plan.builder_name]


def test_a_replayed_snapshot_start_keeps_the_job_the_run_already_handed_over(account: Account) -> None:
    context, plan = account.context, existing_image_plan()
    start_run(account, plan)
    running_builder(account, plan)
    snapshots.start_snapshot(context, plan)
    key = f"jobs/{plan.builder_name}/job.json"
    first = clients.s3().get_object(Bucket=context.settings.jobs_bucket, Key=key)["Body"].read()
    account.advance(60)

    snapshot = snapshots.start_snapshot(context, plan)

    assert clients.s3().get_object(Bucket=context.settings.jobs_bucket, Key=key)["Body"].read() == first
    done = phase_until_done(account, lambda p: snapshots.check_snapshot(context, plan, p), snapshot)
    images = [image for image in account.emulator.inventory()["images"] if image["name"] == plan.image_name]
    assert done.state == "AVAILABLE" and len(images) == 1


def test_a_replayed_export_start_adopts_the_runs_export_task(account: Account) -> None:
    context, plan = account.context, existing_image_plan()
    start_run(account, plan)
    running_builder(account, plan)
    phase_until_done(
        account, lambda p: snapshots.check_snapshot(context, plan, p), snapshots.start_snapshot(context, plan)
    )

    first = exports.start_export(context, plan)
    second = exports.start_export(context, plan)

    assert first.task_id == second.task_id
    assert len(account.emulator.inventory()["export_tasks"]) == 1
