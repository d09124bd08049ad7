"""The distribution end to end on the local engine: copies in other regions, shares with other
accounts, a region that fails, and a retried copy that makes no twin."""

from __future__ import annotations

from typing import Any

import pytest

from appstream_emulator.core import Emulator
from benchmarks.fault_runs import injected
from benchmarks.fault_subjects import APPSTREAM_CALL, Crash
from tests.engine.pipeline_support import fast_engine, fast_request, fast_scenario, run_record
from tests.readings import every_reading

REGIONS = ["eu-west-1", "ap-northeast-1"]
ACCOUNTS = ["111122223333", "444455556666"]


COPY_CRASH = Crash("CopyImage", *APPSTREAM_CALL, "CopyImage")


def distribute_request() -> dict[str, Any]:
    request = fast_request("distribute")
    request["waits"]["distribute"] = {"expected_minutes": 10}
    return request


def copies(emulator: Emulator) -> list[dict[str, Any]]:
    return list(emulator.inventory()["other_regions"])


def shares(emulator: Emulator, name: str, region: str) -> list[str]:
    answer = emulator.call("DescribeImagePermissions", {"Name": name}, region=region)
    return [entry["sharedAccountId"] for entry in answer["SharedImagePermissionsList"]]


@every_reading()
@pytest.mark.usefixtures("deployed_permissions")
def test_a_run_reaches_its_regions_and_accounts(assumptions: dict[str, str]) -> None:
    with fast_engine(fast_scenario(assumptions=assumptions, durations={"image_copy": 600})) as engine:
        outcome = engine.run(distribute_request())
        assert outcome.status == "SUCCEEDED", outcome.error
        emulator = engine.emulator
        name = outcome.resources["snapshot"]["image_name"]
        found = {
            region: emulator.call("DescribeImages", {"Names": [name]}, region=region)["Images"]
            for region in REGIONS
        }
        shared = {region: shares(emulator, name, region) for region in [engine.region, *REGIONS]}
        tags = emulator.call(
            "ListTagsForResource", {"ResourceArn": found["eu-west-1"][0]["Arn"]}, "eu-west-1"
        )
        record = run_record(engine, outcome.run_id)
    assert record["status"] == "SUCCEEDED"
    for region in REGIONS:
        (copy,) = found[region]
        assert copy["State"] == "AVAILABLE"
        assert copy["Arn"].startswith(f"arn:aws:appstream:{region}:")
    assert shared == {region: ACCOUNTS for region in [engine.region, *REGIONS]}
    assert tags["Tags"]["image-factory:run-id"] == outcome.run_id
    distributed = outcome.resources["distribute"]
    assert distributed["regions"] == [engine.region, *REGIONS]
    assert distributed["shared_with"] == ACCOUNTS


@pytest.mark.usefixtures("deployed_permissions")
def test_a_copy_refused_in_one_region_fails_the_run_naming_it_and_leaves_no_copy() -> None:
    refused = {"operation": "CopyImage", "error": "IncompatibleImageException", "region": "ap-northeast-1"}
    with fast_engine(fast_scenario(faults=[refused])) as engine:
        outcome = engine.run(distribute_request())
        left = copies(engine.emulator)
        record = run_record(engine, outcome.run_id)
    assert outcome.status == "FAILED"
    assert outcome.error is not None and outcome.error.step == "distribute"
    assert "ap-northeast-1" in outcome.error.message
    assert record["status"] == "FAILED"
    assert left == []
    actions = outcome.resources["cleanup"]["actions"]
    assert any("deleted copy" in action and "eu-west-1" in action for action in actions), actions


@pytest.mark.usefixtures("deployed_permissions")
def test_a_copy_that_fails_in_its_region_fails_the_run_and_no_account_keeps_a_share() -> None:
    failed = {"resource": "image", "region": "eu-west-1", "reason": "no capacity for the copy"}
    with fast_engine(fast_scenario(faults=[failed])) as engine:
        outcome = engine.run(distribute_request())
        left = copies(engine.emulator)
        name = outcome.resources["snapshot"]["image_name"]
        home_shares = shares(engine.emulator, name, engine.region)
    assert outcome.status == "FAILED"
    assert outcome.error is not None and outcome.error.code == "DistributionFailed"
    assert "eu-west-1" in outcome.error.message and "no capacity" in outcome.error.message
    assert left == []
    assert home_shares == []


def test_a_run_failing_after_its_shares_keeps_the_distribution() -> None:
    export_fails = {"resource": "export_task", "reason": "disk full"}
    request = distribute_request()
    request["export"] = fast_request("reference")["export"]
    with fast_engine(fast_scenario(faults=[export_fails])) as engine:
        outcome = engine.run(request)
        left = copies(engine.emulator)
    assert outcome.status == "FAILED" and outcome.error is not None and outcome.error.step == "export"
    assert sorted(copy["region"] for copy in left) == sorted(REGIONS)


@pytest.mark.usefixtures("deployed_permissions")
def test_a_copy_retried_after_a_crash_makes_no_twin() -> None:
    with fast_engine(fast_scenario()) as engine, injected(COPY_CRASH) as injector:
        outcome = engine.run(distribute_request())
        left = copies(engine.emulator)
    assert injector is not None and injector.crashed
    assert outcome.status == "SUCCEEDED", outcome.error
    assert injector.created == len(REGIONS)
    assert sorted(copy["region"] for copy in left) == sorted(REGIONS)
