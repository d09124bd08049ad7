"""The builder settings a request adds to CreateImageBuilder: checked by field, passed as AppStream
names them."""

from __future__ import annotations

from typing import Any

from appstream_emulator.domain.catalog import LICENSE_INCLUDED_APPLICATIONS as EMULATED
from functions.workflows.image_pipeline.builder_settings import LICENSE_INCLUDED_APPLICATIONS
from functions.workflows.image_pipeline.builders import builder_parameters
from functions.workflows.image_pipeline.request import PipelineRequest, parse_request, request_json_schema
from tests.functions.conftest import make_plan, request_document

OFFICE = "Microsoft_Office_2021_LTSC_Standard_64Bit"
PROJECT = "Microsoft_Project_2024_Standard_32Bit"


def builder(**settings: Any) -> dict[str, Any]:
    return {"instance_type": "stream.standard.large", "subnet_ids": ["subnet-0a1b2c3d4e5f60718"], **settings}


def problems(**settings: Any) -> dict[str, str]:
    result = parse_request(request_document(builder=builder(**settings)))
    assert isinstance(result, list), "expected the request to be rejected"
    return {problem.field: problem.message for problem in result}


def test_the_request_offers_the_license_included_applications_the_seed_lists() -> None:
    assert set(LICENSE_INCLUDED_APPLICATIONS) == EMULATED and len(LICENSE_INCLUDED_APPLICATIONS) == 24
    schema = request_json_schema()["$defs"]["LicenseIncludedApps"]["properties"]["install"]
    assert schema["items"]["enum"] == list(LICENSE_INCLUDED_APPLICATIONS)


def test_an_unknown_license_included_application_is_refused_by_its_field() -> None:
    found = problems(license_included_apps={"install": [OFFICE, "Microsoft_Office_2016"], "uninstall": ["x"]})
    assert set(found) == {
        "builder.license_included_apps.install.1",
        "builder.license_included_apps.uninstall.0",
    }
    assert "Microsoft_Office_2016" not in " ".join(found.values())  # messages never echo input


def test_an_application_is_installed_or_uninstalled_once() -> None:
    both = problems(license_included_apps={"install": [OFFICE], "uninstall": [OFFICE]})
    twice = problems(license_included_apps={"install": [OFFICE, OFFICE]})
    assert set(both) == {"builder.license_included_apps"}
    assert set(twice) == {"builder.license_included_apps.install"}


def test_license_included_applications_are_passed_to_create_image_builder() -> None:
    plan = make_plan(builder=builder(license_included_apps={"install": [OFFICE], "uninstall": [PROJECT]}))
    params = builder_parameters(plan)
    assert (params["SoftwaresToInstall"], params["SoftwaresToUninstall"]) == ([OFFICE], [PROJECT])
    assert "SoftwaresToInstall" not in builder_parameters(make_plan())
    assert isinstance(parse_request(request_document(builder=builder())), PipelineRequest)


def test_access_endpoints_and_the_agent_version_are_checked_as_appstream_constrains_them() -> None:
    endpoint = {"vpce_id": "vpce-0123456789abcdef0"}
    assert set(problems(access_endpoints=[])) == {"builder.access_endpoints"}  # 1 to 4
    assert set(problems(access_endpoints=[endpoint] * 5)) == {"builder.access_endpoints"}
    bad_type = problems(access_endpoints=[{**endpoint, "endpoint_type": "ADMIN"}, {"vpce_id": "vpc-1"}])
    assert set(bad_type) == {"builder.access_endpoints.0.endpoint_type", "builder.access_endpoints.1.vpce_id"}
    assert set(problems(appstream_agent_version="")) == {"builder.appstream_agent_version"}
    assert set(problems(appstream_agent_version="1" * 101)) == {"builder.appstream_agent_version"}


def test_access_endpoints_and_the_agent_version_are_passed_to_create_image_builder() -> None:
    endpoints = [{"vpce_id": "vpce-0123456789abcdef0"}]
    plan = make_plan(builder=builder(access_endpoints=endpoints, appstream_agent_version="[LATEST]"))
    params = builder_parameters(plan)
    assert params["AccessEndpoints"] == [{"EndpointType": "STREAMING", "VpceId": "vpce-0123456789abcdef0"}]
    assert params["AppstreamAgentVersion"] == "[LATEST]"
    assert not {"AccessEndpoints", "AppstreamAgentVersion"} & set(builder_parameters(make_plan()))
