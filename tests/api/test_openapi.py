"""The committed OpenAPI document is the one the code generates, and it describes every route."""

from __future__ import annotations

import json

from functions.workflows import WORKFLOWS
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
        ("GET", "/workflows"),
        *(("POST", f"/workflows/{workflow}/runs") for workflow in WORKFLOWS),
    }
    for key, operation in operations.items():
        responses = operation["responses"]
        assert "422" not in responses, key
        # API Gateway's refusals and limits, which the handler never sees, are documented too.
        assert {"403", "429", "502", "503", "504"} <= responses.keys(), key
        if key == ("GET", "/workflows"):
            continue  # it takes no input, so none can be bad
        schema = responses["400"]["content"]["application/json"]["schema"]
        assert schema == {"$ref": "#/components/schemas/ErrorDocument"}, key


def test_each_workflow_start_documents_that_workflows_request() -> None:
    document = json.loads(openapi_text())
    for workflow in WORKFLOWS:
        body = document["paths"][f"/workflows/{workflow}/runs"]["post"]["requestBody"]
        schema = body["content"]["application/json"]["schema"]
        reference = json.dumps(schema)
        assert "#/components/schemas/" in reference, workflow
    retention = document["components"]["schemas"]["RetentionRequest"]
    assert {"name", "pipelines"} <= set(retention["required"])


def test_the_document_says_requests_are_signed_with_sigv4() -> None:
    document = json.loads(openapi_text())
    (scheme,) = document["components"]["securitySchemes"].values()
    assert scheme["x-amazon-apigateway-authtype"] == "awsSigv4"
    assert document["security"] == [{name: []} for name in document["components"]["securitySchemes"]]
