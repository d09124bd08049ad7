"""The documented answers the routes share (their OpenAPI response entries)."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse

from functions.api.models import ErrorDocument


def answer(description: str, model: type) -> OpenAPIResponse:
    return {"description": description, "content": {"application/json": {"model": model}}}


BAD_INPUT = answer("Bad input: every bad field is listed", ErrorDocument)
