"""Builder settings end to end: what a request asks of CreateImageBuilder reaches the builder and the
image it makes."""

from __future__ import annotations

from typing import Any

import pytest

from tests.engine.pipeline_support import fast_engine, fast_request

pytestmark = pytest.mark.slow
OFFICE = "Microsoft_Office_2024_LTSC_Professional_Plus_64Bit"
VISIO = "Microsoft_Visio_2024_LTSC_Professional_64Bit"


def made_image(engine: Any, arn: str) -> dict[str, Any]:
    return engine.emulator.call("DescribeImages", {"Arns": [arn]})["Images"][0]


@pytest.mark.usefixtures("deployed_permissions")
def test_license_included_applications_reach_the_image() -> None:
    document = fast_request("from-existing-image")
    document["builder"]["license_included_apps"] = {"install": [OFFICE, VISIO]}
    with fast_engine() as engine:
        outcome = engine.run(document)
        image = made_image(engine, outcome.resources["snapshot"]["image_arn"])

    assert outcome.status == "SUCCEEDED", outcome.error
    assert image["ManagedSoftwareIncluded"] is True


def test_an_image_rid_of_its_license_included_applications_includes_none() -> None:
    document = fast_request("from-existing-image")
    with fast_engine() as engine:
        first = engine.run(
            {**document, "builder": {**document["builder"], "license_included_apps": {"install": [OFFICE]}}}
        )
        source = made_image(engine, first.resources["snapshot"]["image_arn"])["Name"]
        second = fast_request("from-existing-image")
        second["source"] = {"image_name": source}
        second["snapshot"] = {**second.get("snapshot", {}), "image_name": "{pipeline}-{run}-rid"}
        second["builder"]["license_included_apps"] = {"uninstall": [OFFICE]}
        outcome = engine.run(second)
        image = made_image(engine, outcome.resources["snapshot"]["image_arn"])

    assert outcome.status == "SUCCEEDED", outcome.error
    assert image["ManagedSoftwareIncluded"] is False


def test_an_unknown_license_included_application_is_refused_by_its_field() -> None:
    document = fast_request("from-existing-image")
    document["builder"]["license_included_apps"] = {"install": [OFFICE, "Microsoft_Office_2016"]}
    with fast_engine() as engine:
        outcome = engine.run(document)
        calls = engine.counters().appstream_calls_by_operation

    assert outcome.status == "FAILED" and outcome.error is not None
    assert outcome.error.code == "InvalidPipelineRequest"
    assert "builder.license_included_apps.install.1" in outcome.error.message
    assert "CreateImageBuilder" not in calls


@pytest.mark.usefixtures("deployed_permissions")
def test_the_builder_streams_through_its_access_endpoints_and_runs_the_agent_asked_for() -> None:
    document = fast_request("from-existing-image")
    endpoints = [{"vpce_id": "vpce-0123456789abcdef0"}]
    document["builder"] = {
        **document["builder"],
        "access_endpoints": endpoints,
        "appstream_agent_version": "1.1.1000",
    }
    document["cleanup"] = {"delete_builder": False}  # left behind to be looked at
    with fast_engine() as engine:
        outcome = engine.run(document)
        (builder,) = engine.emulator.call("DescribeImageBuilders", {})["ImageBuilders"]
        image = made_image(engine, outcome.resources["snapshot"]["image_arn"])

    assert outcome.status == "SUCCEEDED", outcome.error
    assert builder["AccessEndpoints"] == [{"EndpointType": "STREAMING", "VpceId": "vpce-0123456789abcdef0"}]
    assert builder["AppstreamAgentVersion"] == image["AppstreamAgentVersion"] == "1.1.1000"
    assert image["LatestAppstreamAgentVersion"] == "FALSE"
