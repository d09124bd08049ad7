"""The API's errors and the one JSON shape every error answer has.

    {"error": {"code": "InvalidRequest", "message": "...", "fields": [{"field": "...", "message": "..."}]}}

`code` is stable (clients branch on it); `fields` lists every bad field of a bad input.
Messages never echo input values: a request may carry application launch parameters.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from http import HTTPStatus

from aws_lambda_powertools.event_handler import Response

from functions.api.models import ErrorDetail, ErrorDocument, FieldProblem

JSON = "application/json"

# API Gateway's own refusals (unsigned or denied, throttled, no route, the function failing or
# running out of time) answer this document too, with API Gateway's response type as the code
# (stacks/api_routes.py). `$context.error.messageString` is the message, already quoted for JSON:
# https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-mapping-template-reference.html
GATEWAY_ERROR_TEMPLATE = (
    '{"error": {"code": "$context.error.responseType", '
    '"message": $context.error.messageString, "fields": []}}'
)


def gateway_error_body(response_type: str, message: str) -> str:
    """What API Gateway renders from GATEWAY_ERROR_TEMPLATE (the local server answers with it)."""
    return GATEWAY_ERROR_TEMPLATE.replace("$context.error.responseType", response_type).replace(
        "$context.error.messageString", json.dumps(message)
    )


class ApiError(Exception):
    status = HTTPStatus.INTERNAL_SERVER_ERROR
    code = "InternalError"

    def __init__(self, message: str, fields: Sequence[FieldProblem] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.fields = list(fields)


class InvalidInput(ApiError):
    status = HTTPStatus.BAD_REQUEST
    code = "InvalidRequest"


class NotFound(ApiError):
    status = HTTPStatus.NOT_FOUND
    code = "NotFound"


class Conflict(ApiError):
    status = HTTPStatus.CONFLICT
    code = "Conflict"


def error_response(
    status: HTTPStatus, code: str, message: str, fields: Sequence[FieldProblem] = ()
) -> Response[str]:
    document = ErrorDocument(error=ErrorDetail(code=code, message=message, fields=list(fields)))
    return Response(status_code=status.value, content_type=JSON, body=document.model_dump_json())


def api_error_response(error: ApiError) -> Response[str]:
    return error_response(error.status, error.code, error.message, error.fields)
