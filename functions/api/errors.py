"""The API's errors and the one JSON shape every error answer has.

    {"error": {"code": "InvalidRequest", "message": "...", "fields": [{"field": "...", "message": "..."}]}}

`code` is stable (clients branch on it); `fields` lists every bad field of a bad input.
Messages never echo input values: a request may carry application launch parameters.
"""

from __future__ import annotations

from collections.abc import Sequence
from http import HTTPStatus

from aws_lambda_powertools.event_handler import Response

from functions.api.models import ErrorDetail, ErrorDocument, FieldProblem

JSON = "application/json"


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
