"""Simulated time costs nothing while the machine works: the same seeded run takes the same time.

A run's simulated duration is its phases and its waits. If the engine's own processing (the
interpreter, the handlers, switching threads) cost simulated time, each Task state would add
seconds at a 3000x scale, more on a busy machine, and a detection latency measured here would
measure the machine.
"""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from image_factory.local_engine.outcome import RunOutcome
from image_factory.local_engine.timewarp import SimulatedTime
from tests.engine.pipeline_support import fast_engine, fast_request, fast_scenario, task_errors

pytestmark = pytest.mark.slow
SEED = 7
TOLERANCE_S = 2.0
# Outlasts botocore's own attempts (2), so the state machine's Retry, with full jitter, takes over.
THROTTLED = {"operation": "DescribeImages", "error": "ThrottlingException", "times": 3}


def _burn() -> None:
    while True:
        pass


@contextmanager
def busy_machine(processes: int = 2) -> Iterator[None]:
    """Every core busy with something else while the run goes on."""
    context = multiprocessing.get_context("spawn")
    burners = [context.Process(target=_burn, daemon=True) for _ in range(processes)]
    for burner in burners:
        burner.start()
    try:
        yield
    finally:
        for burner in burners:
            burner.terminate()
            burner.join()


def seeded_run(**changes: object) -> tuple[RunOutcome, list[str]]:
    with fast_engine(fast_scenario(seed=SEED, **changes)) as engine:
        outcome = engine.run(fast_request("reference"))
        errors = task_errors(engine)
    assert outcome.status == "SUCCEEDED", outcome.error
    return outcome, errors


def simulated_duration(outcome: RunOutcome) -> float:
    return outcome.ended_at - outcome.started_at


def test_the_same_run_takes_the_same_simulated_time_alone_and_on_a_busy_machine() -> None:
    alone, _ = seeded_run()
    with busy_machine():
        busy, _ = seeded_run()

    assert simulated_duration(busy) == pytest.approx(simulated_duration(alone), abs=TOLERANCE_S)
    first_state = alone.steps[0]
    assert first_state.started_at == pytest.approx(alone.started_at, abs=TOLERANCE_S)


def test_a_run_retried_with_jitter_replays_to_the_second_under_the_same_seed() -> None:
    first, errors = seeded_run(faults=[THROTTLED])
    again, _ = seeded_run(faults=[THROTTLED])

    assert "AppStreamThrottled" in errors  # the state machine's Retry ran, not only botocore's
    assert simulated_duration(again) == pytest.approx(simulated_duration(first), abs=TOLERANCE_S)


def test_a_waiter_woken_late_finds_the_clock_at_its_target() -> None:
    clock = SimulatedTime(3000.0, start=0.0)
    late = 0.05  # real seconds: a busy machine's lateness, 150 simulated seconds at this scale

    clock.wait_until(600.0, lambda seconds: time.sleep(seconds + late))
    woke_at = clock.now()
    with clock.working():
        time.sleep(late)  # what it does next costs no simulated time either
        worked_until = clock.now()

    assert 600.0 <= woke_at < 600.0 + TOLERANCE_S
    assert worked_until == pytest.approx(woke_at, abs=TOLERANCE_S)
