"""Cross-cutting behaviour: rate limits, operation faults, call counts, determinism, clocks, threads."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from appstream_emulator import AppStreamError, Emulator, ManualClock, RealClock, ScaledClock, Scenario

ROLE = "arn:aws:iam::123456789012:role/R"


def make(**scenario: Any) -> tuple[Emulator, ManualClock]:
    clock = ManualClock()
    return Emulator(Scenario.model_validate(scenario), clock), clock


def outcome(emulator: Emulator, operation: str, params: dict[str, Any] | None = None) -> str:
    try:
        emulator.call(operation, params or {})
    except AppStreamError as error:
        return error.code
    return "ok"


def test_unknown_operation() -> None:
    emulator, _ = make()
    assert outcome(emulator, "LaunchRocket") == "UnknownOperationException"
    assert emulator.call_counts["LaunchRocket"] == 1


def test_call_counts_include_failed_calls() -> None:
    emulator, _ = make()
    emulator.call("DescribeImages", {})
    outcome(emulator, "DescribeImages", {"Names": ["missing"]})
    outcome(emulator, "DescribeImageBuilders", {"MaxResults": "x"})
    assert emulator.call_counts == {"DescribeImages": 2, "DescribeImageBuilders": 1}


def test_rate_limit_is_a_token_bucket_on_the_emulator_clock() -> None:
    emulator, clock = make(rate_limits={"DescribeImages": {"per_second": 2, "burst": 3}})
    assert [outcome(emulator, "DescribeImages") for _ in range(4)] == [
        "ok",
        "ok",
        "ok",
        "ThrottlingException",
    ]
    assert outcome(emulator, "DescribeImageBuilders") == "ok"  # other operations are not limited
    clock.advance(0.5)  # one token back
    assert [outcome(emulator, "DescribeImages") for _ in range(2)] == ["ok", "ThrottlingException"]
    clock.advance(60)  # refills to the burst, no further
    assert [outcome(emulator, "DescribeImages") for _ in range(4)] == [
        "ok",
        "ok",
        "ok",
        "ThrottlingException",
    ]


def test_throttling_message() -> None:
    emulator, _ = make(rate_limits={"DescribeImages": {"per_second": 1, "burst": 1}})
    emulator.call("DescribeImages", {})
    with pytest.raises(AppStreamError) as raised:
        emulator.call("DescribeImages", {})
    assert (raised.value.code, raised.value.message, raised.value.status) == (
        "ThrottlingException",
        "Rate exceeded",
        400,
    )


def test_operation_fault_fires_after_and_times() -> None:
    emulator, _ = make(
        faults=[
            {
                "operation": "DescribeImages",
                "error": "InvalidParameterCombinationException",
                "after": 2,
                "times": 2,
            }
        ]
    )
    results = [outcome(emulator, "DescribeImages") for _ in range(6)]
    assert results == [
        "ok",
        "ok",
        "InvalidParameterCombinationException",
        "InvalidParameterCombinationException",
        "ok",
        "ok",
    ]


def test_persistent_operation_fault_with_message() -> None:
    emulator, _ = make(
        faults=[
            {
                "operation": "CreateImageBuilder",
                "error": "InvalidAccountStatusException",
                "times": None,
                "message": "suspended",
            }
        ]
    )
    params = {
        "Name": "b",
        "ImageName": "AppStream-WinServer2022-09-08-2025",
        "InstanceType": "stream.standard.large",
    }
    for _ in range(5):
        with pytest.raises(AppStreamError) as raised:
            emulator.call("CreateImageBuilder", params)
        assert (raised.value.code, raised.value.message) == ("InvalidAccountStatusException", "suspended")
    assert emulator.inventory()["image_builders"] == []


def _history(seed: int) -> list[Any]:
    emulator, clock = make(seed=seed, jitter=0.5, durations={"import": 1000})
    emulator.call(
        "CreateImportedImage", {"Name": "img", "SourceAmiId": "ami-0123456789abcdef0", "IamRoleArn": ROLE}
    )
    states = []
    for _ in range(30):
        clock.advance(50)
        states.append(emulator.call("DescribeImages", {"Names": ["img"]})["Images"][0]["State"])
    task = emulator.call(
        "CreateExportImageTask", {"ImageName": "img", "AmiName": "ami-x", "IamRoleArn": ROLE}
    )
    clock.advance(10_000)
    done = emulator.call("GetExportImageTask", {"TaskId": task["ExportImageTask"]["TaskId"]})[
        "ExportImageTask"
    ]
    return [states.index("AVAILABLE"), task["ExportImageTask"]["TaskId"], done["AmiId"]]


def test_same_seed_same_run_and_jitter_stays_in_bounds() -> None:
    first, again, other = _history(3), _history(3), _history(4)
    assert first == again
    assert first != other
    for available_after_polls in (first[0], other[0]):
        # import 1000 s +/- 50 %: AVAILABLE between 500 s and 1500 s, polled every 50 s
        assert 9 <= available_after_polls <= 29


def test_inventory_lists_only_account_resources() -> None:
    emulator, clock = make(durations={"import": 10})
    assert emulator.inventory() == {
        "image_builders": [],
        "images": [],
        "export_tasks": [],
        "fleets": [],
        "app_block_builders": [],
        "other_regions": [],
    }
    emulator.call(
        "CreateImportedImage", {"Name": "img", "SourceAmiId": "ami-0123456789abcdef0", "IamRoleArn": ROLE}
    )
    clock.advance(10)
    assert emulator.inventory()["images"] == [{"name": "img", "state": "AVAILABLE", "type": "CUSTOM"}]


def test_concurrent_callers_never_share_a_name() -> None:
    emulator, _ = make(quotas={"images": 1000})
    outcomes: list[str] = []
    lock = threading.Lock()

    def create(worker: int) -> None:
        for index in range(25):
            params = {"Name": f"img-{index}", "SourceAmiId": "ami-0123456789abcdef0", "IamRoleArn": ROLE}
            result = outcome(emulator, "CreateImportedImage", params)
            with lock:
                outcomes.append(result)

    threads = [threading.Thread(target=create, args=(worker,)) for worker in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("ok") == 25
    assert outcomes.count("ResourceAlreadyExistsException") == 7 * 25
    assert emulator.call_counts["CreateImportedImage"] == 200


def test_manual_clock() -> None:
    manual = ManualClock(start=100.0)
    assert manual.advance(5) == 105.0 == manual.now()
    with pytest.raises(ValueError, match="back"):
        manual.advance(-1)


def test_scaled_clock_runs_faster_than_real_time(monkeypatch: pytest.MonkeyPatch) -> None:
    real = [500.0]
    monkeypatch.setattr(time, "monotonic", lambda: real[0])
    scaled = ScaledClock(1000, start=0.0)
    real[0] += 0.25
    assert scaled.now() == 250.0
    with pytest.raises(ValueError, match="positive"):
        ScaledClock(0)


def test_real_clock_is_wall_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(time, "time", lambda: 1234.5)
    assert RealClock().now() == 1234.5
