"""The deployed run API is the one its OpenAPI document describes, and every error is the error document."""

from __future__ import annotations

import json
from typing import Any

import pytest

from functions.api.app import openapi_document
from functions.api.models import ErrorDocument
from stacks.api import api_handler_exists
from stacks.api_routes import GATEWAY_ERROR_TEMPLATE
from tests.stacks.conftest import Synth

pytestmark = pytest.mark.skipif(not api_handler_exists(), reason="the stack has no run API")


def _deployed_routes(synth: Synth) -> dict[tuple[str, str], dict[str, Any]]:
    resources = synth.resources("AWS::ApiGateway::Resource")

    def path_of(reference: dict[str, Any]) -> str:
        if "Fn::GetAtt" in reference:  # the API's root resource
            return ""
        resource = resources[reference["Ref"]]["Properties"]
        return f"{path_of(resource['ParentId'])}/{resource['PathPart']}"

    return {
        (method["Properties"]["HttpMethod"], path_of(method["Properties"]["ResourceId"]) or "/"): method[
            "Properties"
        ]
        for method in synth.resources("AWS::ApiGateway::Method").values()
    }


def test_the_deployed_routes_are_the_documented_routes(synth: Synth) -> None:
    documented = {
        (method.upper(), path)
        for path, operations in openapi_document()["paths"].items()
        for method in operations
    }
    deployed = _deployed_routes(synth)
    assert set(deployed) == documented
    assert {method["AuthorizationType"] for method in deployed.values()} == {"AWS_IAM"}


def test_no_request_validator_claims_to_validate_what_it_has_no_model_for(synth: Synth) -> None:
    validators = synth.resources("AWS::ApiGateway::RequestValidator")
    for route, method in _deployed_routes(synth).items():
        reference = method.get("RequestValidatorId")
        if reference is None:
            continue
        validator = validators[reference["Ref"]]["Properties"]
        if validator.get("ValidateRequestBody"):
            assert method.get("RequestModels"), f"{route}: validates bodies against no model"
        if validator.get("ValidateRequestParameters"):
            assert any(method.get("RequestParameters", {}).values()), f"{route}: requires no parameter"


def test_api_gateways_own_errors_answer_the_error_document(synth: Synth) -> None:
    responses = [r["Properties"] for r in synth.resources("AWS::ApiGateway::GatewayResponse").values()]
    assert {r["ResponseType"] for r in responses} == {"DEFAULT_4XX", "DEFAULT_5XX"}
    for response in responses:
        template = response["ResponseTemplates"]["application/json"]
        assert template == GATEWAY_ERROR_TEMPLATE
        # What API Gateway renders for a throttled call, message quoted by $context.error.messageString.
        rendered = template.replace("$context.error.responseType", "THROTTLED").replace(
            "$context.error.messageString", json.dumps('Too "Many" Requests')
        )
        document = ErrorDocument.model_validate_json(rendered)
        assert (document.error.code, document.error.message) == ("THROTTLED", 'Too "Many" Requests')
