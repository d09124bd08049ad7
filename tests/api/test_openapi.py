"""The committed OpenAPI document is the one the code generates, and it describes every route."""

from __future__ import annotations

import json

from image_factory.commands.api import OPENAPI_PATH, openapi_text


def test_the_committed_document_matches_the_code() -> None:
    committed = OPENAPI_PATH.read_text(encoding="utf-8")
    assert committed == openapi_text(), "docs/openapi.json is stale: run `image-factory api openapi --write`"


def test_every_operation_documents_its_errors_with_the_error_document() -> None:
    document = json.loads(openapi_text())
    operations = {
        (method.upper(), path): operation
        for path, methods in document["paths"].items()
        for method, operation in methods.items()
    }
    assert set(operations) == {
        ("POST", "/runs"),
        ("GET", "/runs"),
        ("GET", "/runs/{run_id}"),
        ("POST", "/runs/{run_id}/cancel"),
    }
    for key, operation in operations.items():
        responses = operation["responses"]
        assert "422" not in responses, key
        assert {"400", "503"} <= set(responses), key
        schema = responses["400"]["content"]["application/json"]["schema"]
        assert schema == {"$ref": "#/components/schemas/ErrorDocument"}, key
