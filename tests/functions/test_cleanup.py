"""Cleanup when AppStream will not answer: it finishes its job when the run's records allow, never
touches what is not the run's, and names what it had to leave behind."""

from __future__ import annotations

import pytest

from appstream_emulator.scenario import OperationFault, ResourceFault, Scenario
from functions.core import clients, names
from functions.core.errors import AppStreamUnavailable, CleanupIncomplete, ImageImportFailed
from functions.workflows.image_pipeline import builders, cleanup, imports, slots
from functions.workflows.image_pipeline.phases import CleanupPhase, SlotPhase
from functions.workflows.image_pipeline.plan import Plan
from functions.workflows.image_pipeline.slots import builder_slots
from tests.functions.conftest import Account, make_plan, phase_until_done, start_run

EXISTING_IMAGE = "AppStream-WinServer2022-09-08-2025"
BUILDER_START_SECONDS = 3600  # comfortably past the emulated builder start


def failing_always(operation: str, error: str = "InternalFailure") -> Scenario:
    return Scenario(faults=[OperationFault(operation=operation, error=error, times=None)])


def run_with_builder(account: Account) -> Plan:
    """A recorded run holding a slot, with the builder it created now RUNNING."""
    plan = make_plan(source={"image_name": EXISTING_IMAGE})
    start_run(account, plan)
    slots.acquire(account.context, plan, SlotPhase())
    builders.create_builder(account.context, plan)
    account.advance(BUILDER_START_SECONDS)
    return plan


def builders_in_account(account: Account) -> list[dict[str, str]]:
    return list(account.emulator.inventory()["image_builders"])


def cleanup_until_done(account: Account, plan: Plan) -> CleanupPhase:
    context = account.context
    done: CleanupPhase = phase_until_done(
        account, lambda phase: cleanup.cleanup(context, plan, phase), CleanupPhase()
    )
    return done


@pytest.mark.parametrize("scenario", [failing_always("DescribeImageBuilders")])
def test_a_builder_appstream_will_not_describe_is_still_stopped_and_deleted_by_name(account: Account) -> None:
    plan = run_with_builder(account)

    done = cleanup_until_done(account, plan)

    assert builders_in_account(account) == []
    assert f"stopped image builder {plan.builder_name!r}" in done.actions
    assert f"deleted image builder {plan.builder_name!r}" in done.actions
    assert done.slot_released and builder_slots(account.context).in_use() == 0


@pytest.mark.parametrize("scenario", [failing_always("ListTagsForResource", "ThrottlingException")])
def test_a_builder_whose_tags_cannot_be_read_is_known_as_the_runs_from_its_records(account: Account) -> None:
    plan = run_with_builder(account)

    cleanup_until_done(account, plan)

    assert builders_in_account(account) == []
    assert builder_slots(account.context).in_use() == 0


@pytest.mark.parametrize("scenario", [failing_always("DescribeImageBuilders")])
def test_without_describe_nothing_is_touched_when_the_run_never_created_a_builder(account: Account) -> None:
    plan = make_plan(source={"image_name": EXISTING_IMAGE})
    start_run(account, plan)

    done = cleanup.cleanup(account.context, plan, CleanupPhase())

    assert done.done and done.builder_state == "ABSENT"
    assert account.emulator.call_counts["DeleteImageBuilder"] == 0
    assert account.emulator.call_counts["StopImageBuilder"] == 0


@pytest.mark.parametrize("scenario", [failing_always("ListTagsForResource")])
def test_a_builder_with_the_runs_name_it_did_not_create_is_never_touched(account: Account) -> None:
    plan = make_plan(source={"image_name": EXISTING_IMAGE})
    start_run(account, plan)
    account.context.records.step_started(plan.run_id, builders.STEP, {"builder_name": plan.builder_name})
    clients.appstream().create_image_builder(
        Name=plan.builder_name,
        ImageName=EXISTING_IMAGE,
        InstanceType="stream.standard.large",
        Tags={names.TAG_RUN_ID: "someone-else"},
    )

    with pytest.raises(AppStreamUnavailable):
        cleanup.cleanup(account.context, plan, CleanupPhase())

    assert [builder["name"] for builder in builders_in_account(account)] == [plan.builder_name]
    assert account.emulator.call_counts["StopImageBuilder"] == 0


@pytest.mark.parametrize("scenario", [failing_always("DeleteImageBuilder")])
def test_a_builder_appstream_never_deletes_is_left_stopped_and_named(account: Account) -> None:
    plan = run_with_builder(account)

    with pytest.raises(CleanupIncomplete) as incomplete:
        cleanup_until_done(account, plan)

    assert f"still present: image builder {plan.builder_name!r} (STOPPED)" in str(incomplete.value)
    assert [builder["state"] for builder in builders_in_account(account)] == ["STOPPED"]
    step = account.context.records.get_step(plan.run_id, cleanup.STEP)
    assert step is not None and step["status"] == "FAILED"
    assert step["error"]["code"] == "CleanupIncomplete"
    assert "still present: image builder" in step["error"]["message"]
    # The slot is given back: nothing else would ever release it (see cleanup._left_behind).
    assert builder_slots(account.context).in_use() == 0
    # The run's own error is decided when the run is recorded as failed, not by cleanup.
    run = account.context.records.get_run(plan.run_id)
    assert run is not None and "error" not in run


def left_notes(done: CleanupPhase) -> list[str]:
    return [action for action in done.actions if action.startswith("left ")]


@pytest.mark.parametrize(
    "scenario", [Scenario(faults=[ResourceFault(resource="imported_image", reason="the AMI does not boot")])]
)
def test_a_failed_imported_image_left_behind_is_named_with_how_to_remove_it(account: Account) -> None:
    plan = make_plan()
    start_run(account, plan)
    with pytest.raises(ImageImportFailed):
        phase_until_done(
            account,
            lambda p: imports.check_source(account.context, plan, p),
            imports.start_import(account.context, plan),
        )

    done = cleanup_until_done(account, plan)

    name = plan.imported_image_name
    assert left_notes(done) == [
        f"left imported image {name!r} FAILED: remove it with `aws appstream delete-image --name {name}`"
    ]


def test_an_import_still_under_way_is_named_with_when_to_remove_it(account: Account) -> None:
    # A run cancelled moments after its import started.
    plan = make_plan()
    start_run(account, plan)
    imports.start_import(account.context, plan)

    done = cleanup_until_done(account, plan)

    (note,) = left_notes(done)
    assert note.startswith(f"left imported image {plan.imported_image_name!r} ")
    assert "once it is no longer " in note and "aws appstream delete-image --name" in note


def test_a_run_that_leaves_only_usable_images_names_none(account: Account) -> None:
    plan = run_with_builder(account)
    assert left_notes(cleanup_until_done(account, plan)) == []
