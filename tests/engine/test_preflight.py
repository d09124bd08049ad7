"""The preflight: a run that would fail on a taken name, a missing source or a foreign role fails at once."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from benchmarks.fault_calls import call_log
from functions.core import names
from image_factory.local_engine.engine import LocalEngine
from stacks.config import DeploymentConfig
from tests.engine.pipeline_support import (
    FAST_DURATIONS,
    FAST_SETTINGS,
    fast_engine,
    fast_request,
    fast_scenario,
)

pytestmark = pytest.mark.slow
CREATES = ("CreateImportedImage", "CreateImageBuilder", "CreateExportImageTask")


def failed_preflight(
    document: dict[str, Any], settings: dict[str, str] = FAST_SETTINGS
) -> tuple[Any, dict[str, int]]:
    """Run `document`; return its error and the AppStream calls it made."""
    with LocalEngine(fast_scenario(), settings=settings) as engine:
        outcome = engine.run(document)
        calls = dict(engine.counters().appstream_calls_by_operation)
    assert outcome.status == "FAILED" and outcome.error is not None
    assert outcome.error.step == "preflight"
    assert not [call for call in CREATES if call in calls], "the run created something before failing"
    return outcome.error, calls


def test_an_ami_already_holding_the_export_name_fails_the_run_before_anything_is_created() -> None:
    document = fast_request("reference")
    document["export"] = {**document["export"], "ami_name": "golden-ami"}
    with fast_engine() as engine:
        # Someone else's AMI with that name (AMI names are unique per account and region).
        ec2 = boto3.client("ec2", region_name=engine.region)
        ami = ec2.register_image(Name="golden-ami", RootDeviceName="/dev/sda1")["ImageId"]
        outcome = engine.start(document).wait(120)
        calls = dict(engine.counters().appstream_calls_by_operation)

    assert outcome.status == "FAILED" and outcome.error is not None
    assert (outcome.error.step, outcome.error.code) == ("preflight", "ResourceNameConflict")
    assert ami in outcome.error.message and "golden-ami" in outcome.error.message
    assert "export.ami_name" in outcome.error.message
    assert not [call for call in CREATES if call in calls]


def test_an_export_under_way_to_the_same_ami_name_fails_the_run() -> None:
    document = fast_request("from-existing-image")
    document["export"] = {
        "ami_name": "golden-ami",
        "role_arn": "arn:aws:iam::123456789012:role/image-factory-appstream-export",
    }
    # The other export is still running when the run starts: simulated time runs fast meanwhile.
    scenario = fast_scenario(images=[{"name": "older"}], durations={**FAST_DURATIONS, "export": 10**6})
    with fast_engine(scenario) as engine:
        engine.emulator.call(
            "CreateExportImageTask",
            {"ImageName": "older", "AmiName": "golden-ami", "IamRoleArn": document["export"]["role_arn"]},
        )
        outcome = engine.start(document).wait(120)

    assert outcome.status == "FAILED" and outcome.error is not None
    assert (outcome.error.step, outcome.error.code) == ("preflight", "ResourceNameConflict")
    assert "already exporting" in outcome.error.message and "golden-ami" in outcome.error.message


def test_a_missing_source_image_fails_the_run_before_anything_is_created() -> None:
    # An existing source is CheckImage's to judge, right after the preflight.
    document = fast_request("from-existing-image")
    document["source"] = {"image_name": "no-such-image"}
    with LocalEngine(fast_scenario(), settings=FAST_SETTINGS) as engine:
        outcome = engine.run(document)
        calls = dict(engine.counters().appstream_calls_by_operation)

    assert outcome.status == "FAILED" and outcome.error is not None
    assert (outcome.error.step, outcome.error.code) == ("source", "SourceImageNotUsable")
    assert "no-such-image" in outcome.error.message
    assert not [call for call in CREATES if call in calls]


def test_a_role_the_deployment_may_not_pass_fails_the_run_naming_the_field() -> None:
    allowed = "arn:aws:iam::123456789012:role/image-factory-appstream-export"
    settings = {**FAST_SETTINGS, names.ENV_PASSABLE_ROLES: allowed}
    error, calls = failed_preflight(fast_request("reference"), settings=settings)

    assert error.code == "InvalidPipelineRequest"
    assert (
        "source.import_role_arn arn:aws:iam::123456789012:role/image-factory-appstream-import"
        in error.message
    )
    refused = error.message.split("; it may pass:")[0]
    assert "export.role_arn" not in refused  # the allowed one is not refused
    assert "CreateImportedImage" not in calls  # refused before even the dry run


def test_the_local_deployment_passes_only_its_configured_roles() -> None:
    # No setting given: the engine's roles are its configuration's, the bundled example's here.
    document = fast_request("reference")
    foreign = "arn:aws:iam::123456789012:role/someone-else"
    document["source"] = {**document["source"], "import_role_arn": foreign}
    error, _ = failed_preflight(document)

    assert error.code == "InvalidPipelineRequest"
    assert f"source.import_role_arn {foreign}" in error.message
    assert "role/image-factory-appstream-import" in error.message.split("; it may pass:")[1]


def test_a_configuration_without_roles_passes_the_roles_the_stack_creates() -> None:
    created = "arn:aws:iam::123456789012:role/ImageFactory-local-us-east-1-import"
    document = fast_request("reference")
    with LocalEngine(fast_scenario(), settings=FAST_SETTINGS, config=DeploymentConfig()) as engine:
        refused = engine.run(document)  # the bundled request names the example's roles
        document["source"] = {**document["source"], "import_role_arn": created}
        document["builder"] = {**document["builder"], "iam_role_arn": created.replace("import", "builder")}
        document["export"] = {**document["export"], "role_arn": created.replace("import", "export")}
        accepted = engine.run(document)

    assert refused.error is not None and refused.error.code == "InvalidPipelineRequest"
    assert accepted.status == "SUCCEEDED", accepted.error


@pytest.mark.parametrize("images", [0, 60])
def test_the_name_checks_cost_one_describe_per_name_whatever_the_account_holds(images: int) -> None:
    account = [{"name": f"earlier-{index:03d}"} for index in range(images)]
    scenario = fast_scenario(images=account, quotas={"images": images + 10})
    with LocalEngine(scenario, settings=FAST_SETTINGS) as engine, call_log(engine) as log:
        outcome = engine.run(fast_request("reference"))

    assert outcome.status == "SUCCEEDED", outcome.error
    preflight = [call.operation for call in log if call.function == "Preflight"]
    # The imported image's name and the snapshot's, not a listing of the account's images.
    assert preflight.count("DescribeImages") == 2


def test_a_preflight_throttled_between_its_name_checks_resumes_after_the_first() -> None:
    # One DescribeImages a minute, no burst: an attempt gets one call through, so the preflight
    # only ever finishes because its retry skips the name an earlier attempt found free.
    limits = {"DescribeImages": {"per_second": 1 / 60, "burst": 1}}
    with LocalEngine(fast_scenario(rate_limits=limits), settings=FAST_SETTINGS) as engine:
        outcome = engine.run(fast_request("reference"))
        step = next(record for record in outcome.step_records if record["step"] == "preflight")

    assert outcome.status == "SUCCEEDED", outcome.error
    assert step["attempts"] >= 2 and {"image_name_0_free", "image_name_1_free"} <= set(step)
