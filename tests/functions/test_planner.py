"""The interval planner: where the expected duration comes from, and how the waits are spaced."""

from __future__ import annotations

import pytest

from functions.core import waits
from functions.core.errors import PhaseTimedOut
from functions.core.waits import Steps, Timing, expected_duration, first_wait, next_wait, progressed_wait
from functions.workflows.image_pipeline import durations
from tests.functions.conftest import Account, make_plan, start_run

STEPS = Steps(floor_seconds=45, max_step_seconds=900)


def test_configuration_comes_before_history_and_history_before_the_default() -> None:
    assert expected_duration(600, [100, 200, 300], 50) == 600
    assert expected_duration(None, [100, 900, 300], 50) == 300
    assert expected_duration(None, [], 50) == 50


def test_first_check_comes_shortly_before_the_expected_end() -> None:
    wait = first_wait(Timing(expected_seconds=3600, ceiling_seconds=14400), STEPS)
    assert 0.7 * 3600 <= wait < 3600


def test_checks_close_in_on_the_expected_end_down_to_the_floor() -> None:
    timing = Timing(expected_seconds=3600, ceiling_seconds=14400)
    elapsed = float(first_wait(timing, STEPS))
    waits_before_end = []
    while elapsed < 3600:
        wait = next_wait(timing, STEPS, elapsed, "export")
        waits_before_end.append(wait)
        elapsed += wait
    assert waits_before_end == sorted(waits_before_end, reverse=True)
    assert min(waits_before_end) == STEPS.floor_seconds


def test_a_phase_seen_further_on_is_next_checked_shortly_before_its_expected_end() -> None:
    timing = Timing(expected_seconds=3600, ceiling_seconds=14400)
    # 600 s in, the agent has reported: what is left (3000 s) is planned as a phase of its own,
    # where a check that saw nothing new closes in by halves.
    assert progressed_wait(timing, STEPS, 600, "snapshot") == first_wait(
        Timing(expected_seconds=3000, ceiling_seconds=13800), STEPS
    )
    assert progressed_wait(timing, STEPS, 600, "snapshot") > next_wait(timing, STEPS, 600, "snapshot")
    # Late already, it is any late check; at the ceiling, it is the same named timeout.
    assert progressed_wait(timing, STEPS, 4000, "snapshot") == next_wait(timing, STEPS, 4000, "snapshot")
    with pytest.raises(PhaseTimedOut, match="snapshot"):
        progressed_wait(timing, STEPS, 14400, "snapshot")


def test_a_late_phase_is_checked_less_and_less_often_but_never_past_the_ceiling() -> None:
    timing = Timing(expected_seconds=600, ceiling_seconds=2000)
    assert next_wait(timing, STEPS, 700, "builder") == STEPS.floor_seconds
    assert next_wait(timing, STEPS, 1800, "builder") > STEPS.floor_seconds
    assert next_wait(timing, STEPS, 1990, "builder") == 10  # lands exactly on the ceiling


def test_reaching_the_ceiling_raises_a_named_timeout() -> None:
    with pytest.raises(PhaseTimedOut, match="builder: not finished after 33 min"):
        next_wait(Timing(expected_seconds=600, ceiling_seconds=2000), STEPS, 2000, "builder")


def test_expected_duration_is_the_median_of_past_successful_runs(account: Account) -> None:
    records = account.context.records
    for number, seconds in enumerate([1000, 4000, 2000]):
        plan = make_plan(f"past-{number}")
        start_run(account, plan)
        records.record_phase(plan.run_id, "export", seconds, {})
        records.finish_run(plan.run_id, "SUCCEEDED")
    failed = make_plan("past-failed")
    start_run(account, failed)
    records.record_phase(failed.run_id, "export", 9000, {})
    records.finish_run(failed.run_id, "FAILED", {"step": "export", "code": "ExportFailed", "message": "x"})

    timing = durations.timing_for(make_plan("now"), "export", account.context)
    assert timing.expected_seconds == 2000


def test_a_configured_expectation_wins_over_history(account: Account) -> None:
    plan = make_plan("now", waits={"export": {"expected_minutes": 10, "ceiling_minutes": 30}})
    timing = durations.timing_for(plan, "export", account.context)
    assert (timing.expected_seconds, timing.ceiling_seconds) == (600, 1800)
    assert not timing.guessed


def test_without_history_or_configuration_the_default_is_a_guess(account: Account) -> None:
    timing = durations.timing_for(make_plan("first"), "export", account.context)
    assert timing.guessed and timing.expected_seconds == durations.DEFAULT_EXPECTED["export"]


def test_while_the_duration_is_a_guess_no_wait_is_longer_than_the_guess_step() -> None:
    guessed = Timing(expected_seconds=3600, ceiling_seconds=14400, guessed=True)
    waits_taken = [first_wait(guessed, STEPS)]
    elapsed = float(waits_taken[0])
    while elapsed < 3 * 3600:  # before, around and long after the expected end
        waits_taken.append(next_wait(guessed, STEPS, elapsed, "export"))
        elapsed += waits_taken[-1]

    assert max(waits_taken) == STEPS.guess_step_seconds
    # Once the duration is known (history), the first look waits for most of it.
    assert first_wait(Timing(expected_seconds=3600, ceiling_seconds=14400), STEPS) > 2000


def test_a_default_ceiling_gives_way_to_a_history_of_longer_runs() -> None:
    history = [9000.0, 10000.0, 12000.0]
    assert waits.timing(None, history, 2100, 14400).ceiling_seconds == 24000  # twice the longest
    assert waits.timing(None, [], 2100, 14400).ceiling_seconds == 14400
    assert waits.timing(None, history, 2100, 14400, configured_ceiling=3600).ceiling_seconds == 3600
