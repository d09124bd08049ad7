"""The codec against botocore's own serializers and parsers, for both AppStream protocols."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import botocore.parsers
import botocore.serialize
import cbor2
import pytest
from botocore.model import DenormalizedStructureBuilder

from appstream_emulator import wire
from appstream_emulator.errors import AppStreamError
from appstream_emulator.service_model import service_model

PROTOCOLS = [wire.CBOR, wire.JSON]

IMPORT_PARAMS: dict[str, Any] = {
    "Name": "imported-1",
    "SourceAmiId": "ami-0123456789abcdef0",
    "IamRoleArn": "arn:aws:iam::123456789012:role/AppStreamImport",
    "Tags": {"team": "images"},
    "AppCatalogConfig": [{"Name": "notepad", "AbsoluteAppPath": "C:\\Windows\\notepad.exe"}],
    "DryRun": False,
}


def botocore_request(protocol: str, operation: str, params: dict[str, Any]) -> wire.WireRequest:
    """The request exactly as botocore puts it on the wire for `protocol`."""
    operation_model = service_model().operation_model(operation)
    serialized = botocore.serialize.create_serializer(protocol).serialize_to_request(params, operation_model)
    return wire.WireRequest(
        serialized["method"], serialized["url_path"], serialized["headers"], serialized["body"]
    )


def botocore_parse(protocol: str, operation: str, response: wire.WireResponse) -> dict[str, Any]:
    """The response as a botocore client parses it."""
    shape = service_model().operation_model(operation).output_shape
    assert shape is not None
    lowered = {name.lower(): value for name, value in response.headers.items()}
    parsed: dict[str, Any] = botocore.parsers.create_parser(protocol).parse(
        {"status_code": response.status, "headers": lowered, "body": response.body}, shape
    )
    return parsed


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_decodes_what_botocore_serializes(protocol: str) -> None:
    decoded = wire.decode_request(botocore_request(protocol, "CreateImportedImage", IMPORT_PARAMS))

    assert decoded == wire.DecodedRequest(protocol, "CreateImportedImage", IMPORT_PARAMS)


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_botocore_parses_encoded_results_with_timestamps(protocol: str) -> None:
    created = datetime(2026, 1, 1, 12, 30, 15, 500000, tzinfo=UTC)
    result = {
        "Images": [
            {
                "Name": "imported-1",
                "State": "AVAILABLE",
                "CreatedTime": created,
                "ImageErrors": [{"ErrorCode": "VALIDATION_ERROR", "ErrorTimestamp": created}],
            }
        ],
        "ResponseMetadata": {"RequestId": "ignored"},
    }
    request = wire.DecodedRequest(protocol, "DescribeImages", {})

    parsed = botocore_parse(protocol, "DescribeImages", wire.encode_result(request, result))

    image = parsed["Images"][0]
    assert image["CreatedTime"] == created
    assert image["ImageErrors"][0]["ErrorTimestamp"] == created
    assert image["State"] == "AVAILABLE"


def test_timestamps_are_cbor_tag_1_and_json_epoch_numbers() -> None:
    created = datetime(2026, 1, 1, tzinfo=UTC)
    result = {"Images": [{"Name": "x", "CreatedTime": created}]}

    cbor_body = wire.encode_result(wire.DecodedRequest(wire.CBOR, "DescribeImages", {}), result).body
    json_body = wire.encode_result(wire.DecodedRequest(wire.JSON, "DescribeImages", {}), result).body

    assert cbor2.loads(cbor_body)["Images"][0]["CreatedTime"] == created  # cbor2 reads tag 1 as a datetime
    assert b"\xc1" in cbor_body  # major type 6, tag 1
    assert json.loads(json_body)["Images"][0]["CreatedTime"] == created.timestamp()


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_errors_parse_to_the_code_and_message(protocol: str) -> None:
    error = AppStreamError("ResourceNotFoundException", "The image nope does not exist.", 400)

    parsed = botocore_parse(protocol, "DescribeImages", wire.encode_error(protocol, error))

    assert parsed["Error"] == {
        "Code": "ResourceNotFoundException",
        "Message": "The image nope does not exist.",
    }
    assert parsed["ResponseMetadata"]["HTTPStatusCode"] == 404  # the status the model gives the error


@pytest.mark.parametrize(
    ("code", "status"),
    [("DryRunOperationException", 412), ("LimitExceededException", 400), ("ThrottlingException", 400)],
)
def test_modelled_errors_take_the_models_status_others_their_own(code: str, status: int) -> None:
    response = wire.encode_error(wire.JSON, AppStreamError(code, "x", 400))

    assert response.status == status


def test_unmodelled_errors_keep_the_status_they_were_raised_with() -> None:
    assert wire.encode_error(wire.JSON, AppStreamError("ServiceUnavailable", "x", 503)).status == 503


def test_protocol_specific_headers() -> None:
    cbor_response = wire.encode_error(wire.CBOR, AppStreamError("InternalFailure", "x", 500))
    json_response = wire.encode_error(wire.JSON, AppStreamError("InternalFailure", "x", 500))

    assert cbor_response.headers["smithy-protocol"] == "rpc-v2-cbor"
    assert cbor_response.headers["Content-Type"] == "application/cbor"
    assert json_response.headers["Content-Type"] == "application/x-amz-json-1.1"
    assert cbor2.loads(cbor_response.body)["__type"] == "com.amazonaws.appstream#InternalFailure"
    assert json.loads(json_response.body) == {"__type": "InternalFailure", "message": "x"}


def test_modelled_errors_carry_the_message_member() -> None:
    body = wire.encode_error(wire.JSON, AppStreamError("LimitExceededException", "Too many.")).body

    assert json.loads(body) == {"__type": "LimitExceededException", "Message": "Too many."}


def test_unknown_members_in_requests_are_dropped() -> None:
    request = botocore_request(wire.JSON, "DescribeImages", {"Names": ["a"]})
    request = wire.WireRequest(
        request.method, request.path, request.headers, b'{"Names": ["a"], "Future": 1}'
    )

    assert wire.decode_request(request).params == {"Names": ["a"]}


def test_nulls_in_json_requests_mean_absent() -> None:
    request = botocore_request(wire.JSON, "DescribeImages", {})
    request = wire.WireRequest(
        request.method, request.path, request.headers, b'{"Names": null, "MaxResults": 5}'
    )

    assert wire.decode_request(request).params == {"MaxResults": 5}


def test_result_members_outside_the_model_are_refused() -> None:
    request = wire.DecodedRequest(wire.JSON, "DescribeImages", {})

    with pytest.raises(wire.ResponseEncodingError, match=r"DescribeImages\.Images\[0\] .*Colour"):
        wire.encode_result(request, {"Images": [{"Name": "x", "Colour": "blue"}]})


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"\xff\x00garbage", "SerializationException"),
        (b"[1, 2]", "SerializationException"),
    ],
)
def test_malformed_bodies_are_serialization_errors(protocol: str, body: bytes, code: str) -> None:
    request = botocore_request(protocol, "DescribeImages", {})
    if protocol == wire.CBOR and body == b"[1, 2]":
        body = cbor2.dumps([1, 2])

    with pytest.raises(wire.WireError) as caught:
        wire.decode_request(wire.WireRequest("POST", request.path, request.headers, body))

    assert (caught.value.code, caught.value.status, caught.value.protocol) == (code, 400, protocol)


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_wrong_member_types_are_serialization_errors(protocol: str) -> None:
    request = botocore_request(protocol, "DescribeImages", {})
    document = {"MaxResults": "ten"}
    body = cbor2.dumps(document) if protocol == wire.CBOR else json.dumps(document).encode()

    with pytest.raises(wire.WireError, match="MaxResults") as caught:
        wire.decode_request(wire.WireRequest("POST", request.path, request.headers, body))

    assert caught.value.code == "SerializationException"


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_missing_required_members_are_validation_errors(protocol: str) -> None:
    request = botocore_request(protocol, "CreateImportedImage", IMPORT_PARAMS)

    with pytest.raises(wire.WireError, match=r'1 validation error detected: .*"Name"') as caught:
        wire.decode_request(wire.WireRequest("POST", request.path, request.headers, b""))

    assert (caught.value.code, caught.value.status) == ("ValidationException", 400)


def test_unknown_operations() -> None:
    cbor_request = botocore_request(wire.CBOR, "DescribeImages", {})
    json_request = botocore_request(wire.JSON, "DescribeImages", {})
    json_headers = {**json_request.headers, "X-Amz-Target": "PhotonAdminProxyService.LaunchRockets"}

    with pytest.raises(wire.WireError) as cbor_error:
        wire.decode_request(
            wire.WireRequest(
                "POST", "/service/PhotonAdminProxyService/operation/LaunchRockets", cbor_request.headers, b""
            )
        )
    with pytest.raises(wire.WireError) as json_error:
        wire.decode_request(wire.WireRequest("POST", "/", json_headers, b"{}"))

    assert (cbor_error.value.code, cbor_error.value.status) == ("UnknownOperationException", 404)
    assert (json_error.value.code, json_error.value.status) == ("UnknownOperationException", 400)


def test_wrong_content_type_is_unsupported_media_type() -> None:
    request = botocore_request(wire.JSON, "DescribeImages", {})
    headers = {**request.headers, "Content-Type": "text/plain"}

    with pytest.raises(wire.WireError) as caught:
        wire.decode_request(wire.WireRequest("POST", "/", headers, b"{}"))

    assert (caught.value.code, caught.value.status) == ("UnsupportedMediaTypeException", 415)


def test_timestamps_and_blobs_in_requests_become_python_values() -> None:
    shape = (
        DenormalizedStructureBuilder()
        .with_members({"When": {"type": "timestamp"}, "Data": {"type": "blob"}})
        .build_model()
    )
    moment = datetime(2026, 1, 1, tzinfo=UTC)

    from_json = wire.from_wire(wire.JSON, shape, {"When": moment.timestamp(), "Data": "aGk="}, "")
    from_cbor = wire.from_wire(
        wire.CBOR, shape, cbor2.loads(cbor2.dumps({"When": moment, "Data": b"hi"})), ""
    )

    assert from_json == from_cbor == {"When": moment, "Data": b"hi"}
