"""Builder slots: the limit holds, and acquiring or releasing twice changes nothing."""

from __future__ import annotations

from functions.workflows.image_pipeline.slots import builder_slots
from tests.functions.conftest import Account

ARN = "arn:aws:states:us-east-1:123456789012:execution:image-pipeline:x"


def test_no_more_runs_than_the_limit_hold_a_slot(account: Account) -> None:
    slots = builder_slots(account.context)  # the fixture sets the limit to 2
    assert slots.acquire("a", ARN, 3600)
    assert slots.acquire("b", ARN, 3600)
    assert not slots.acquire("c", ARN, 3600)
    assert slots.in_use() == 2


def test_acquiring_again_keeps_one_slot(account: Account) -> None:
    slots = builder_slots(account.context)
    assert slots.acquire("a", ARN, 3600)
    assert slots.acquire("a", ARN, 3600)
    assert slots.in_use() == 1


def test_double_release_is_harmless(account: Account) -> None:
    slots = builder_slots(account.context)
    slots.acquire("a", ARN, 3600)
    slots.acquire("b", ARN, 3600)
    assert slots.release("a")
    assert not slots.release("a")
    assert slots.in_use() == 1
    assert slots.acquire("c", ARN, 3600)


def test_releasing_a_slot_never_acquired_is_harmless(account: Account) -> None:
    slots = builder_slots(account.context)
    assert not slots.release("never")
    slots.acquire("a", ARN, 3600)
    assert not slots.release("never")
    assert slots.in_use() == 1


def test_a_slot_held_past_its_expiry_is_taken_back(account: Account) -> None:
    slots = builder_slots(account.context)
    slots.acquire("a", ARN, 600)
    slots.acquire("b", ARN, 7200)
    account.advance(601)
    assert slots.acquire("c", ARN, 600)
    assert not slots.holds("a")
    assert slots.in_use() == 2


def test_a_freed_slot_goes_to_the_run_that_has_waited_longest(account: Account) -> None:
    slots = builder_slots(account.context)  # limit 2
    assert slots.acquire("a", ARN, 3600) and slots.acquire("b", ARN, 3600)
    assert not slots.acquire("first-waiter", ARN, 3600)
    account.advance(10)
    assert not slots.acquire("second-waiter", ARN, 3600)
    slots.release("a")
    # The later run asks first, and still waits: the free slot is the first waiter's.
    assert not slots.acquire("second-waiter", ARN, 3600)
    assert slots.acquire("first-waiter", ARN, 3600)
    slots.release("b")
    assert slots.acquire("second-waiter", ARN, 3600)
    assert slots.in_use() == 2


def test_a_waiter_that_stopped_asking_holds_no_one_up(account: Account) -> None:
    slots = builder_slots(account.context)
    assert slots.acquire("a", ARN, 3600) and slots.acquire("b", ARN, 3600)
    assert not slots.acquire("vanished", ARN, 3600)  # its run then ends without cleanup
    account.advance(10)
    assert not slots.acquire("waiting", ARN, 3600)
    slots.release("a")
    assert not slots.acquire("waiting", ARN, 3600)  # the vanished run may still come back
    account.advance(4 * slots.poll_seconds)
    assert slots.acquire("waiting", ARN, 3600)


def test_a_waiter_whose_run_is_cleaned_up_leaves_the_queue(account: Account) -> None:
    slots = builder_slots(account.context)
    assert slots.acquire("a", ARN, 3600) and slots.acquire("b", ARN, 3600)
    assert not slots.acquire("cancelled", ARN, 3600)
    assert not slots.acquire("waiting", ARN, 3600)
    assert not slots.release("cancelled")  # cleanup releases a slot it never got
    slots.release("a")
    assert slots.acquire("waiting", ARN, 3600)
