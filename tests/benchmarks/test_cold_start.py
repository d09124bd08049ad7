"""The cold start benchmark's bookkeeping: like-for-like floors, paired rounds, and verdicts that can fail."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.cold_start import (
    Samples,
    Timing,
    compiled_distributions,
    floor_code,
    handler_code,
    handler_verdict,
    measure,
    missed_tasks,
    row,
    timed_stages,
)
from benchmarks.handler_clients import HANDLER_CLIENTS, record_clients
from functions.core import clients
from functions.workflows import LAMBDA_TASKS


def test_stages_are_timed_from_one_start() -> None:
    first, second = timed_stages("import json", "import decimal")
    assert 0 <= first.wall <= second.wall
    assert 0 <= first.cpu <= second.cpu


def test_each_handler_round_brings_its_own_floor() -> None:
    task = next(task for task in LAMBDA_TASKS if task.name == "CheckBuilder")
    samples = measure([task], repeat=2)[task.name]
    assert len(samples.floor) == len(samples.handler) == len(samples.first_request) == 2
    # The first request is the same interpreter going on to create the handler's clients.
    for imported, answered in zip(samples.handler, samples.first_request, strict=True):
        assert answered.wall >= imported.wall


def test_the_floor_creates_the_clients_the_handler_creates() -> None:
    task = next(task for task in LAMBDA_TASKS if task.name == "CheckSnapshot")
    services = HANDLER_CLIENTS[task.name]
    assert services == ("appstream", "dynamodb", "s3")
    floor = floor_code(services)
    handler = handler_code(task, services)
    assert floor.startswith("import boto3, pydantic\n")
    for service in services:
        assert f"boto3.client({service!r})" in floor
        assert f"clients.{service}()" in handler
    imports = "import functions.workflows.image_pipeline.tasks\nfrom functions.core import clients\n"
    assert handler.startswith(imports)
    # A handler that creates no client is compared with a floor that creates none.
    assert "client" not in floor_code(HANDLER_CLIENTS["ValidateRequest"])


def test_every_task_has_its_clients_and_each_is_one_functions_clients_makes() -> None:
    assert set(HANDLER_CLIENTS) == {task.name for task in LAMBDA_TASKS}
    for services in HANDLER_CLIENTS.values():
        assert list(services) == sorted(set(services))
        assert all(callable(getattr(clients, service)) for service in services)


@pytest.mark.slow
def test_the_clients_are_those_the_handlers_create_in_runs_of_every_workflow() -> None:
    assert record_clients() == HANDLER_CLIENTS


def test_ratios_divide_by_the_paired_floors() -> None:
    samples = Samples(
        floor=[Timing(0.2, 0.2), Timing(0.2, 0.2)],
        handler=[Timing(0.21, 0.2), Timing(0.21, 0.2)],
        first_request=[Timing(0.22, 0.21), Timing(0.22, 0.21)],
    )
    task = next(task for task in LAMBDA_TASKS if task.name == "CheckBuilder")
    assert row(task, samples) == [
        "CheckBuilder", "appstream, dynamodb", "200", "210", "220", "1.10x", "1.05x", "met",
    ]  # fmt: skip


def test_a_handler_misses_the_target_when_either_ratio_exceeds_it() -> None:
    assert handler_verdict(1.15, 1.15) == "met"
    assert handler_verdict(1.16, 1.0) == "missed (wall)"
    assert handler_verdict(1.0, 1.2) == "missed (CPU)"
    assert handler_verdict(1.9, 1.7) == "missed (wall and CPU)"
    ratios = {"CheckBuilder": (1.05, 1.02), "ValidateRequest": (1.94, 1.71), "Cleanup": (1.1, 1.151)}
    assert missed_tasks(ratios) == ["ValidateRequest", "Cleanup"]
    assert missed_tasks({"CheckBuilder": (1.05, 1.02)}) == []


def test_only_distributions_with_compiled_code_are_replaced(tmp_path: Path) -> None:
    for name, version, purelib in (("boto3", "1.44.8", "true"), ("pydantic_core", "2.50.5", "false")):
        dist_info = tmp_path / f"{name}-{version}.dist-info"
        dist_info.mkdir()
        (dist_info / "WHEEL").write_text(f"Wheel-Version: 1.0\nRoot-Is-Purelib: {purelib}\n")
        (dist_info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    assert [(name, version) for name, version, _ in compiled_distributions(tmp_path)] == [
        ("pydantic_core", "2.50.5")
    ]
