"""The AppStream wire format, shared by the in-process and HTTP fronts.

AppStream speaks two protocols, both described by the botocore model:

* `smithy-rpc-v2-cbor`: `POST /service/PhotonAdminProxyService/operation/<Op>` with a
  `smithy-protocol: rpc-v2-cbor` header and a CBOR body; timestamps are CBOR tag 1
  (epoch seconds), blobs are byte strings.
* `json` (awsJson1_1): `POST /` with `X-Amz-Target: PhotonAdminProxyService.<Op>` and
  `Content-Type: application/x-amz-json-1.1`; timestamps are epoch-second numbers,
  blobs are base64 strings.

`handle` turns one HTTP request into one HTTP response: it detects the protocol,
decodes the body into botocore's Python shapes (walking the operation's input
shape), calls the core, and encodes the result by the output shape, or the error
the way AWS does (`__type` + message, with the HTTP status the model gives the
error), so botocore raises `client.exceptions.<Code>` with the message. Nothing a
client sends can make it raise: bad requests become 4xx errors, surprises in the
core become `InternalFailure` 500.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from typing import TYPE_CHECKING, Any, Protocol

import cbor2
from botocore.model import OperationModel, Shape, StructureShape
from botocore.utils import parse_timestamp
from botocore.validate import ParamValidator

from appstream_emulator.errors import AppStreamError
from appstream_emulator.service_model import service_model

if TYPE_CHECKING:
    from agent_contract.documents import ImageSpec

logger = logging.getLogger(__name__)

CBOR = "smithy-rpc-v2-cbor"
JSON = "json"

TARGET_PREFIX = "PhotonAdminProxyService"
# The Smithy namespace of the AppStream service: rpcv2Cbor errors name their shape by ID.
SHAPE_NAMESPACE = "com.amazonaws.appstream"
CBOR_CONTENT_TYPE = "application/cbor"
JSON_CONTENT_TYPE = "application/x-amz-json-1.1"
_ACCEPTED_JSON_CONTENT_TYPES = frozenset(
    {JSON_CONTENT_TYPE, "application/x-amz-json-1.0", "application/json"}
)
_CREDENTIAL_SCOPE = re.compile(r"Credential=[^/,\s]+/\d{8}/(?P<region>[a-z0-9-]+)/[^/,\s]+/aws4_request")
_CBOR_PATH = re.compile(r"/service/(?P<service>[^/]+)/operation/(?P<operation>[^/?]+)$")


class Core(Protocol):
    """What the fronts need of the emulator core."""

    def call(self, operation: str, params: dict[str, Any], region: str | None = None) -> dict[str, Any]: ...

    def run_image_assistant(self, builder_name: str, image: ImageSpec) -> None: ...


@dataclass(frozen=True)
class WireRequest:
    method: str
    path: str
    headers: Mapping[str, str]
    body: bytes

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        return next((value for key, value in self.headers.items() if key.lower() == wanted), None)


@dataclass(frozen=True)
class WireResponse:
    status: int
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True)
class DecodedRequest:
    protocol: str
    operation: str
    params: dict[str, Any] = field(default_factory=dict)


class WireError(AppStreamError):
    """A request the emulator cannot accept, answered in `protocol` (the one the client spoke)."""

    def __init__(self, protocol: str, code: str, message: str, status: int = 400) -> None:
        super().__init__(code, message, status)
        self.protocol = protocol


class ResponseEncodingError(Exception):
    """The core returned something the output shape does not allow: a bug in the core."""


def handle(core: Core, request: WireRequest) -> WireResponse:
    """Serve one request; never raises."""
    protocol = detect_protocol(request)
    try:
        decoded = decode_request(request)
        protocol = decoded.protocol
        result = core.call(decoded.operation, decoded.params, region=signed_region(request))
        response = encode_result(decoded, result)
    except WireError as error:
        logger.info("rejected %s %s: %s", request.method, request.path, error)
        return encode_error(error.protocol, error)
    except AppStreamError as error:
        return encode_error(protocol, error)
    except Exception:
        # A bug in the core or the codec: answer like AWS does, keep the traceback in the log.
        logger.exception("internal failure serving %s %s", request.method, request.path)
        return encode_error(
            protocol, AppStreamError("InternalFailure", "The request processing has failed.", 500)
        )
    logger.debug("served %s via %s", decoded.operation, decoded.protocol)
    return response


def signed_region(request: WireRequest) -> str | None:
    """The region the client signed for (SigV4's credential scope `KEY/DATE/REGION/SERVICE/aws4_request`):
    a client built for region X talks to the account in X, whatever endpoint it was given. None for a
    request that is not signed: the emulator's own region answers it."""
    match = _CREDENTIAL_SCOPE.search(request.header("Authorization") or "")
    return match.group("region") if match else None


def detect_protocol(request: WireRequest) -> str:
    """The protocol the client speaks; awsJson1_1 when nothing says CBOR."""
    if (
        _CBOR_PATH.search(request.path)
        or request.header("smithy-protocol") is not None
        or _media_type(request.header("Content-Type")) == CBOR_CONTENT_TYPE
    ):
        return CBOR
    return JSON


def decode_request(request: WireRequest) -> DecodedRequest:
    protocol = detect_protocol(request)
    if request.method.upper() != "POST":
        raise WireError(
            protocol, "UnknownOperationException", f"{request.method} is not supported; use POST.", 405
        )
    operation = _operation_name(protocol, request)
    operation_model = service_model().operation_model(operation)
    _check_content_type(protocol, request)
    document = _parse_body(protocol, request.body)
    params = from_wire(protocol, operation_model.input_shape, document, "")
    _validate(protocol, operation_model, params)
    return DecodedRequest(protocol, operation, params)


def encode_result(request: DecodedRequest, result: Mapping[str, Any]) -> WireResponse:
    output_shape = service_model().operation_model(request.operation).output_shape
    result = {key: value for key, value in result.items() if key != "ResponseMetadata"}
    document = to_wire(request.protocol, output_shape, result, request.operation) if output_shape else {}
    return _response(request.protocol, 200, document)


def encode_error(protocol: str, error: AppStreamError) -> WireResponse:
    if protocol == CBOR:
        # rpcv2Cbor names the error by its shape ID; botocore keeps what follows '#'.
        document: dict[str, Any] = {"__type": f"{SHAPE_NAMESPACE}#{error.code}"}
    else:
        document = {"__type": error.code}
    # Modelled AppStream errors carry their text in a `Message` member; others use `message`.
    modelled_status = _modelled_status(error.code)
    document["Message" if modelled_status is not None else "message"] = error.message
    return _response(protocol, modelled_status or error.status, document)


def _response(protocol: str, status: int, document: dict[str, Any]) -> WireResponse:
    headers = {"x-amzn-RequestId": str(uuid.uuid4())}
    if protocol == CBOR:
        headers["Content-Type"] = CBOR_CONTENT_TYPE
        headers["smithy-protocol"] = "rpc-v2-cbor"
        body = cbor2.dumps(document)
    else:
        headers["Content-Type"] = JSON_CONTENT_TYPE
        body = json.dumps(document, separators=(",", ":")).encode()
    headers["Content-Length"] = str(len(body))
    return WireResponse(status, headers, body)


def _operation_name(protocol: str, request: WireRequest) -> str:
    if protocol == CBOR:
        match = _CBOR_PATH.search(request.path)
        service, operation = (match["service"], match["operation"]) if match else ("", "")
        if request.header("smithy-protocol") != "rpc-v2-cbor":
            raise WireError(
                protocol, "SerializationException", "The smithy-protocol header must be rpc-v2-cbor."
            )
        status = 404
    else:
        target = request.header("X-Amz-Target")
        if not target:
            raise WireError(protocol, "UnknownOperationException", "The X-Amz-Target header is missing.")
        service, _, operation = target.partition(".")
        status = 400
    if service != TARGET_PREFIX or operation not in service_model().operation_names:
        raise WireError(
            protocol, "UnknownOperationException", f"Unknown operation {service}.{operation}.", status
        )
    return operation


def _check_content_type(protocol: str, request: WireRequest) -> None:
    media_type = _media_type(request.header("Content-Type"))
    if not request.body and media_type is None:
        return
    accepted = {CBOR_CONTENT_TYPE} if protocol == CBOR else _ACCEPTED_JSON_CONTENT_TYPES
    if media_type not in accepted:
        expected = CBOR_CONTENT_TYPE if protocol == CBOR else JSON_CONTENT_TYPE
        raise WireError(
            protocol,
            "UnsupportedMediaTypeException",
            f"Content-Type must be {expected}, got {media_type}.",
            415,
        )


def _media_type(content_type: str | None) -> str | None:
    return content_type.split(";", 1)[0].strip().lower() if content_type else None


def _parse_body(protocol: str, body: bytes) -> Any:
    # An empty body means no input members, as botocore and AWS both accept.
    if not body.strip():
        return {}
    try:
        document = cbor2.loads(body) if protocol == CBOR else json.loads(body.decode("utf-8"))
    except Exception as error:  # cbor2 and json raise several types on garbage; all mean the same
        raise WireError(
            protocol, "SerializationException", f"The request body is not valid: {error}"
        ) from None
    if not isinstance(document, dict):
        raise WireError(protocol, "SerializationException", "The request body must be an object.")
    return document


def _validate(protocol: str, operation_model: OperationModel, params: dict[str, Any]) -> None:
    """Apply botocore's own checks (required members, minimums), as a real service would reject them."""
    if operation_model.input_shape is None:
        return
    report = ParamValidator().validate(params, operation_model.input_shape)
    if report.has_errors():
        problems = report.generate_report().splitlines()
        count = f"{len(problems)} validation error{'s' if len(problems) > 1 else ''} detected"
        raise WireError(protocol, "ValidationException", f"{count}: {'; '.join(problems)}")


def from_wire(protocol: str, shape: Shape | None, value: Any, path: str) -> Any:
    """A decoded body value as botocore's Python shape: datetimes, bytes, and no unknown members."""
    if shape is None:
        return {}
    kind = shape.type_name
    if kind == "structure":
        assert isinstance(shape, StructureShape)
        _expect(protocol, isinstance(value, dict), path, "an object")
        members = shape.members
        return {
            name: from_wire(protocol, members[name], item, _join(path, name))
            for name, item in value.items()
            if name in members and item is not None
        }
    if kind == "list":
        _expect(protocol, isinstance(value, list), path, "a list")
        return [from_wire(protocol, shape.member, item, f"{path}[{i}]") for i, item in enumerate(value)]  # type: ignore[attr-defined]
    if kind == "map":
        _expect(protocol, isinstance(value, dict) and all(isinstance(k, str) for k in value), path, "a map")
        return {key: from_wire(protocol, shape.value, item, _join(path, key)) for key, item in value.items()}  # type: ignore[attr-defined]
    if kind == "timestamp":
        return _timestamp_from_wire(protocol, value, path)
    if kind == "blob":
        return _blob_from_wire(protocol, value, path)
    if kind == "string":
        _expect(protocol, isinstance(value, str), path, "a string")
    elif kind == "boolean":
        _expect(protocol, isinstance(value, bool), path, "a boolean")
    elif kind in ("integer", "long"):
        _expect(protocol, isinstance(value, int) and not isinstance(value, bool), path, "an integer")
    elif kind in ("float", "double"):
        _expect(protocol, isinstance(value, int | float) and not isinstance(value, bool), path, "a number")
        return float(value)
    return value


def _timestamp_from_wire(protocol: str, value: Any, path: str) -> datetime:
    if isinstance(value, datetime):  # cbor2 already decoded tag 1 (or tag 0)
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    try:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return datetime.fromtimestamp(value, tz=UTC)
        if isinstance(value, str):
            parsed: datetime = parse_timestamp(value)
            return parsed
    except (ValueError, OverflowError, OSError):
        pass
    raise WireError(protocol, "SerializationException", f"Value at '{path}' must be a timestamp.")


def _blob_from_wire(protocol: str, value: Any, path: str) -> bytes:
    if protocol == CBOR:
        _expect(protocol, isinstance(value, bytes), path, "a byte string")
        return bytes(value)
    _expect(protocol, isinstance(value, str), path, "a base64 string")
    try:
        return base64.b64decode(value, validate=True)
    except binascii.Error:
        raise WireError(
            protocol, "SerializationException", f"Value at '{path}' is not valid base64."
        ) from None


def to_wire(protocol: str, shape: Shape, value: Any, path: str) -> Any:
    """A core result as the protocol puts it on the wire; refuses members the model does not have."""
    kind = shape.type_name
    if kind == "structure":
        assert isinstance(shape, StructureShape)
        members = shape.members
        unknown = sorted(set(value) - set(members))
        if unknown:
            raise ResponseEncodingError(f"{path} has members the model does not define: {', '.join(unknown)}")
        return {
            name: to_wire(protocol, members[name], item, f"{path}.{name}")
            for name, item in value.items()
            if item is not None
        }
    if kind == "list":
        return [to_wire(protocol, shape.member, item, f"{path}[{i}]") for i, item in enumerate(value)]  # type: ignore[attr-defined]
    if kind == "map":
        return {key: to_wire(protocol, shape.value, item, f"{path}.{key}") for key, item in value.items()}  # type: ignore[attr-defined]
    if kind == "timestamp":
        epoch = _epoch_seconds(value, path)
        return cbor2.CBORTag(1, epoch) if protocol == CBOR else epoch
    if kind == "blob" and protocol == JSON:
        return base64.b64encode(value).decode("ascii")
    return value


def _epoch_seconds(value: Any, path: str) -> int | float:
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        seconds = moment.timestamp()
    elif isinstance(value, int | float) and not isinstance(value, bool):
        seconds = float(value)
    else:
        raise ResponseEncodingError(f"{path} is not a timestamp: {value!r}")
    return int(seconds) if seconds.is_integer() else seconds


def _expect(protocol: str, condition: bool, path: str, expected: str) -> None:
    if not condition:
        raise WireError(protocol, "SerializationException", f"Value at '{path or '.'}' must be {expected}.")


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


@cache
def _modelled_status(code: str) -> int | None:
    """The HTTP status the model gives error `code` (DryRunOperationException: 412), None if unmodelled."""
    for shape in service_model().error_shapes:
        if shape.name == code:
            status: int = shape.metadata.get("error", {}).get("httpStatusCode", 400)
            return status
    return None
