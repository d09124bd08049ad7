"""The run API's resolver: routes, error answers, and the OpenAPI document generated from them."""

from __future__ import annotations

import base64
import binascii
import json
from http import HTTPStatus
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError

from functions.api import routes, workflow_routes
from functions.api.errors import JSON, ApiError, api_error_response, error_response
from functions.api.models import ErrorDocument, FieldProblem
from functions.api.settings import get_api_settings
from functions.core import documents
from functions.core.errors import ImageFactoryError
from functions.core.observability import logger

TITLE = "AppStream Image Factory run API"
VERSION = "1.0.0"
# Where a validation failure sits in a location that is not a field a person wrote.
_LOCATION_PARTS = {"body", "query", "path", "request", "configured"}

app = APIGatewayRestResolver(enable_validation=True)
app.include_router(routes.router)
app.include_router(workflow_routes.router)


@app.exception_handler(RequestValidationError)
def _invalid_input(error: RequestValidationError) -> Response[str]:
    problems = [_problem(item) for item in error.errors()]
    return error_response(HTTPStatus.BAD_REQUEST, "InvalidRequest", "the request is invalid", problems)


@app.exception_handler(ApiError)
def _api_error(error: ApiError) -> Response[str]:
    return api_error_response(error)


@app.exception_handler(ImageFactoryError)
def _dependency_error(error: ImageFactoryError) -> Response[str]:
    # Throttled or unavailable DynamoDB / Step Functions: the caller may try again.
    logger.warning("dependency failed", extra={"error_code": type(error).__name__})
    status = HTTPStatus.SERVICE_UNAVAILABLE if error.retryable else HTTPStatus.INTERNAL_SERVER_ERROR
    return error_response(status, type(error).__name__, str(error))


@app.exception_handler(Exception)
def _unexpected(error: Exception) -> Response[str]:
    logger.exception("unexpected error")
    return error_response(
        HTTPStatus.INTERNAL_SERVER_ERROR, "InternalError", "internal error; see the API's logs"
    )


@app.not_found
def _no_route(error: Exception) -> Response[str]:
    event = app.current_event
    parts = event.path.strip("/").split("/")
    if len(parts) == 3 and parts[0] == "workflows" and parts[2] == "runs":
        known = ", ".join(get_api_settings().state_machines)
        message = f"no workflow {parts[1]!r}; this API starts: {known}"
        return error_response(HTTPStatus.NOT_FOUND, "NotFound", message)
    return error_response(HTTPStatus.NOT_FOUND, "NotFound", f"no route {event.http_method} {event.path}")


def resolve(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Answer one API Gateway event; a body that is no UTF-8 text, JSON that is no object, or an
    object with a key written twice is refused before routing (the resolver would fail decoding
    the first, start a run from the first element of an array, and keep the last of two keys)."""
    problem = _body_problem(event)
    if problem is not None:
        answer = error_response(HTTPStatus.BAD_REQUEST, "InvalidRequest", "the request is invalid", [problem])
        return {
            "statusCode": answer.status_code,
            "headers": {"Content-Type": JSON},
            "body": answer.body,
            "isBase64Encoded": False,
        }
    return app.resolve(_as_json(event), context)


def _as_json(event: dict[str, Any]) -> dict[str, Any]:
    """The API speaks only JSON: a body is read as JSON whatever its Content-Type says (curl -d
    sends form encoding), rather than parsed as a form or refused with a 5xx by the resolver."""
    headers = {
        name: value for name, value in (event.get("headers") or {}).items() if name.lower() != "content-type"
    }
    multi = {
        name: value
        for name, value in (event.get("multiValueHeaders") or {}).items()
        if name.lower() != "content-type"
    }
    return {
        **event,
        "headers": {**headers, "Content-Type": JSON},
        "multiValueHeaders": {**multi, "Content-Type": [JSON]},
    }


def _body_problem(event: dict[str, Any]) -> FieldProblem | None:
    body = event.get("body")
    if not isinstance(body, str):
        return None
    if event.get("isBase64Encoded"):
        try:
            body = base64.b64decode(body.encode(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return FieldProblem(field="(body)", message="not UTF-8 text")
    try:
        document = documents.loads(body)
    except documents.DuplicateKey as error:
        return FieldProblem(field="(body)", message=str(error))
    except ValueError:
        return None  # the resolver reports it as not valid JSON
    if isinstance(document, dict):
        return None
    return FieldProblem(field="(body)", message=f"must be a JSON object, not {_json_kind(document)}")


def _json_kind(document: Any) -> str:
    if isinstance(document, list):
        return "an array (one request per call)"
    if isinstance(document, str):
        return "a string"
    if document is None:
        return "null"
    return "a boolean" if isinstance(document, bool) else "a number"


def _problem(item: Any) -> FieldProblem:
    if item.get("type") == "json_invalid":  # its location is a character offset, not a field
        return FieldProblem(field="(body)", message="not valid JSON")
    location = [str(part) for part in item.get("loc", ())]
    where = location[0] if location else "body"
    parts = [part for part in location[1:] if part not in _LOCATION_PARTS]
    # A query or path parameter is named as such; a body field by its dotted path.
    field = ".".join(parts) or ("(body)" if where == "body" else where)
    message = str(item.get("msg", "invalid")).removeprefix("Value error, ")
    return FieldProblem(field=field, message=message)


def openapi_document() -> dict[str, Any]:
    """The OpenAPI document of the API as committed in docs/openapi.json.

    Validation failures answer 400 with the API's error document, not Powertools' 422, and
    every route may answer the error document for a failing dependency.
    """
    document: dict[str, Any] = json.loads(app.get_openapi_json_schema(title=TITLE, version=VERSION))
    document["info"]["description"] = (
        "Start, list, show and cancel runs of the image pipeline and the lifecycle workflows "
        "(export-backup, managed-update, fleet-rollout, retention). Requests are signed with SigV4 "
        "(service `execute-api`). Every error answers `ErrorDocument`. "
        "Links are relative to the API's base URL."
    )
    error_schema = {"$ref": "#/components/schemas/ErrorDocument"}
    schemas = document["components"]["schemas"]
    schemas.update(
        ErrorDocument.model_json_schema(ref_template="#/components/schemas/{model}").get("$defs", {})
    )
    schemas["ErrorDocument"] = {
        key: value
        for key, value in ErrorDocument.model_json_schema(ref_template="#/components/schemas/{model}").items()
        if key != "$defs"
    }
    for name in ("HTTPValidationError", "ValidationError", "ResponseValidationError"):
        schemas.pop(name, None)
    for operations in document["paths"].values():
        for operation in operations.values():
            responses = operation["responses"]
            responses.pop("422", None)
            for status, description in _EVERY_ROUTE_ERRORS.items():
                responses[status] = {
                    "description": description,
                    "content": {"application/json": {"schema": error_schema}},
                }
    # API Gateway checks the SigV4 signature before the handler sees a request.
    document["components"]["securitySchemes"] = {
        "sigv4": {
            "type": "apiKey",
            "name": "Authorization",
            "in": "header",
            "x-amazon-apigateway-authtype": "awsSigv4",
        }
    }
    document["security"] = [{"sigv4": []}]
    return document


# Answers any route may give; API Gateway's own (403, 429, 502, 504) carry its response type
# as the code (stacks/api_routes.py).
_EVERY_ROUTE_ERRORS = {
    "403": "API Gateway refused the request: unsigned, signed by a principal IAM does not allow "
    "to call it, or no such route (code MISSING_AUTHENTICATION_TOKEN, INVALID_SIGNATURE, "
    "ACCESS_DENIED, ...)",
    "429": "API Gateway throttled the request (code THROTTLED): try again later",
    "502": "The API's function failed, or gave API Gateway no valid answer",
    "503": "A dependency is throttled or unavailable: try again",
    "504": "The API's function did not answer in time (code INTEGRATION_TIMEOUT)",
}
