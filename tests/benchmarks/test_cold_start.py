"""The cold start benchmark's bookkeeping: stages timed in one interpreter, floors paired with handlers."""

from __future__ import annotations

from benchmarks.cold_start import Samples, Timing, measure, row, timed_stages
from functions.catalog import LAMBDA_TASKS


def test_stages_are_timed_from_one_start() -> None:
    first, second = timed_stages("import json", "import decimal")
    assert 0 <= first.wall <= second.wall
    assert 0 <= first.cpu <= second.cpu


def test_each_handler_round_brings_its_own_floor() -> None:
    task = next(task for task in LAMBDA_TASKS if task.name == "ValidateRequest")
    samples = measure([task], repeat=2)[task.name]
    assert len(samples.floor) == len(samples.handler) == len(samples.first_request) == 2
    # The first request is the same interpreter going on to create the floor's clients.
    for imported, answered in zip(samples.handler, samples.first_request, strict=True):
        assert answered.wall >= imported.wall


def test_ratios_divide_by_the_paired_floors() -> None:
    samples = Samples(
        floor=[Timing(0.2, 0.2), Timing(0.2, 0.2)],
        handler=[Timing(0.22, 0.21), Timing(0.22, 0.21)],
        first_request=[Timing(0.3, 0.28), Timing(0.3, 0.28)],
    )
    task = LAMBDA_TASKS[0]
    assert row(task, samples) == [task.name, f"`{task.handler}`", "220", "1.10x", "1.05x", "300", "1.50x"]
