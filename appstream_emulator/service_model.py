"""The botocore AppStream service model: the source of truth for shapes and error names."""

from __future__ import annotations

from functools import cache

import botocore.session
from botocore.model import OperationModel, ServiceModel

# Errors any AWS JSON/CBOR service may return regardless of what an operation models.
# ValidationException is how AWS reports a request that breaks a modelled constraint.
COMMON_ERRORS: dict[str, int] = {
    "ValidationException": 400,
    "ThrottlingException": 400,
    "InternalFailure": 500,
    "ServiceUnavailable": 503,
    "UnknownOperationException": 400,
}

# Common errors a scenario may inject into any operation.
INJECTABLE_COMMON_ERRORS: dict[str, int] = {
    code: COMMON_ERRORS[code] for code in ("ThrottlingException", "InternalFailure", "ServiceUnavailable")
}


@cache
def service_model() -> ServiceModel:
    return botocore.session.get_session().get_service_model("appstream")


def operation_model(name: str) -> OperationModel:
    return service_model().operation_model(name)


@cache
def modelled_errors(operation: str) -> frozenset[str]:
    """The error shape names the model lists for `operation`."""
    return frozenset(shape.name for shape in operation_model(operation).error_shapes)


def allowed_errors(operation: str) -> frozenset[str]:
    """Every error code `operation` may legitimately return."""
    return modelled_errors(operation) | frozenset(COMMON_ERRORS)


def operation_names() -> list[str]:
    return list(service_model().operation_names)
