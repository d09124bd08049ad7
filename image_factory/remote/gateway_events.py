"""HTTP requests as API Gateway REST proxy events, and proxy results back as HTTP answers.

The local server hands the run API's handler exactly the event API Gateway (REST API,
Lambda proxy integration) would, so the handler cannot tell the difference.
"""

from __future__ import annotations

import base64
import re
import time
import uuid
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs, urlsplit

from functions.api.errors import JSON, gateway_error_body

LOCAL_CALLER = "arn:aws:iam::123456789012:user/local"


def routes(document: Mapping[str, Any]) -> list[tuple[str, re.Pattern[str]]]:
    """(method, path pattern) of each operation of an OpenAPI document: what API Gateway serves."""
    return [
        (method.upper(), re.compile("^" + "/".join(map(_segment, path.split("/"))) + "$"))
        for path, operations in document["paths"].items()
        for method in operations
    ]


def _segment(part: str) -> str:
    return "[^/]+" if part.startswith("{") else re.escape(part)


def missing_route(method: str, path: str, served: list[tuple[str, re.Pattern[str]]]) -> dict[str, Any] | None:
    """API Gateway's answer to a method and path it has no resource for, or None when it has one
    (REST APIs answer 403 Missing Authentication Token; the stack renders it as the error document)."""
    if any(method == known and pattern.match(urlsplit(path).path) for known, pattern in served):
        return None
    return {
        "statusCode": 403,
        "headers": {"Content-Type": JSON},
        "body": gateway_error_body("MISSING_AUTHENTICATION_TOKEN", "Missing Authentication Token"),
        "isBase64Encoded": False,
    }


def proxy_event(method: str, target: str, headers: Mapping[str, str], body: bytes) -> dict[str, Any]:
    url = urlsplit(target)
    query = parse_qs(url.query, keep_blank_values=True)
    text: str | None = None
    encoded = False
    if body:
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            text, encoded = base64.b64encode(body).decode(), True
    return {
        "resource": url.path,
        "path": url.path,
        "httpMethod": method,
        "headers": dict(headers),
        "multiValueHeaders": {name: [value] for name, value in headers.items()},
        "queryStringParameters": {name: values[-1] for name, values in query.items()} or None,
        "multiValueQueryStringParameters": query or None,
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": url.path,
            "httpMethod": method,
            "path": f"/local{url.path}",
            "stage": "local",
            "requestId": str(uuid.uuid4()),
            "requestTimeEpoch": int(time.time() * 1000),
            "identity": {"userArn": LOCAL_CALLER, "caller": "local", "sourceIp": "127.0.0.1"},
        },
        "body": text,
        "isBase64Encoded": encoded,
    }


def proxy_answer(result: Mapping[str, Any]) -> tuple[int, dict[str, str], bytes]:
    """(status, headers, body) of a Lambda proxy result."""
    headers = {str(name): str(value) for name, value in (result.get("headers") or {}).items()}
    for name, values in (result.get("multiValueHeaders") or {}).items():
        headers[str(name)] = ", ".join(str(value) for value in values)
    body = result.get("body") or ""
    payload = base64.b64decode(body) if result.get("isBase64Encoded") else str(body).encode()
    return int(result.get("statusCode", 502)), headers, payload
