"""The run API's routes and error answers, taken from its OpenAPI document.

The deployed resources and methods are the document's paths and operations, so
`docs/openapi.json` (the same document, committed) describes exactly what API Gateway
serves. Bodies and parameters are validated by the handler, which names every bad field;
API Gateway's request validator could only answer "Invalid request body".
"""

from __future__ import annotations

from typing import Any

from aws_cdk import aws_apigateway as apigateway

from functions.api.errors import GATEWAY_ERROR_TEMPLATE
from stacks.nag import acknowledge

GATEWAY_ERROR_TYPES = (apigateway.ResponseType.DEFAULT_4_XX, apigateway.ResponseType.DEFAULT_5_XX)


def add_routes(
    api: apigateway.RestApi, integration: apigateway.Integration, document: dict[str, Any]
) -> None:
    """One resource per path segment and one method per operation of the OpenAPI document."""
    for path, operations in document["paths"].items():
        resource = api.root
        for part in path.strip("/").split("/"):
            resource = resource.get_resource(part) or resource.add_resource(part)
        for method in operations:
            resource.add_method(method.upper(), integration)
    acknowledge(
        api,
        "AwsSolutions-APIG2",
        "The handler validates every body, path and query parameter against the models the "
        "OpenAPI document publishes and answers 400 naming each bad field; API Gateway's "
        "validator would answer only 'Invalid request body'.",
    )


def add_error_responses(api: apigateway.RestApi) -> None:
    for response_type in GATEWAY_ERROR_TYPES:
        api.add_gateway_response(
            response_type.response_type,
            type=response_type,
            templates={"application/json": GATEWAY_ERROR_TEMPLATE},
        )
