"""The HTTP front: both protocols from boto3, and AWS-style errors for anything malformed."""

from __future__ import annotations

import http.client
import json
import socket
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import cbor2
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from appstream_emulator.clock import ManualClock
from appstream_emulator.core import Emulator
from appstream_emulator.operations import OPERATIONS
from appstream_emulator.pytest_plugin import client_speaking
from appstream_emulator.server import EmulatorServer, serve_in_thread

JSON_HEADERS = {
    "Content-Type": "application/x-amz-json-1.1",
    "X-Amz-Target": "PhotonAdminProxyService.DescribeImages",
}
CBOR_PATH = "/service/PhotonAdminProxyService/operation/DescribeImages"
CBOR_HEADERS = {
    "Content-Type": "application/cbor",
    "smithy-protocol": "rpc-v2-cbor",
    "Accept": "application/cbor",
}


@pytest.fixture
def emulator() -> Emulator:
    return Emulator(clock=ManualClock())


@pytest.fixture
def url(emulator: Emulator) -> Iterator[str]:
    with serve_in_thread(emulator) as bound:
        yield bound


def post(
    url: str, path: str, headers: dict[str, str], body: bytes, method: str = "POST"
) -> tuple[int, Any, dict]:
    """Send one raw request; returns the status, the decoded body and the headers."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=30)
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        raw = response.read()
        response_headers = {name.lower(): value for name, value in response.getheaders()}
    finally:
        connection.close()
    if response_headers.get("content-type") == "application/cbor":
        return response.status, cbor2.loads(raw), response_headers
    return response.status, json.loads(raw) if raw else None, response_headers


@pytest.mark.parametrize("protocol", ["json", "smithy-rpc-v2-cbor"])
def test_boto3_round_trip_over_http(url: str, emulator: Emulator, protocol: str) -> None:
    client = client_speaking(protocol, endpoint_url=url)

    client.create_imported_image(
        Name="over-http",
        SourceAmiId="ami-0123456789abcdef0",
        IamRoleArn="arn:aws:iam::123456789012:role/AppStreamImport",
    )
    emulator.clock.advance(6 * 3600)  # type: ignore[attr-defined]
    image = client.describe_images(Names=["over-http"])["Images"][0]
    with pytest.raises(client.exceptions.ResourceNotFoundException, match="does not exist"):
        client.describe_images(Names=["missing"])

    assert (image["Name"], image["State"], image["ImageType"]) == ("over-http", "AVAILABLE", "CUSTOM")
    assert image["CreatedTime"].year == 2026


@pytest.mark.parametrize(
    ("path", "headers", "body", "code"),
    [
        ("/", JSON_HEADERS, b"{not json", "SerializationException"),
        ("/", JSON_HEADERS, b"\xff\xfe\x00", "SerializationException"),
        ("/", JSON_HEADERS, b'"a string"', "SerializationException"),
        ("/", JSON_HEADERS, b'{"MaxResults": "many"}', "SerializationException"),
        (CBOR_PATH, CBOR_HEADERS, b"\xff\xff\xff", "SerializationException"),
        (CBOR_PATH, CBOR_HEADERS, b"\xbf", "SerializationException"),  # an indefinite map, never closed
        (CBOR_PATH, CBOR_HEADERS, cbor2.dumps([1, 2, 3]), "SerializationException"),
    ],
    ids=[
        "json-garbage",
        "json-not-utf8",
        "json-not-object",
        "json-wrong-type",
        "cbor-garbage",
        "cbor-truncated",
        "cbor-not-map",
    ],
)
def test_malformed_bodies_are_400s(
    url: str, path: str, headers: dict[str, str], body: bytes, code: str
) -> None:
    status, document, _ = post(url, path, headers, body)

    assert status == 400
    assert document["__type"].rsplit("#", 1)[-1] == code


def test_errors_answer_in_the_protocol_of_the_request(url: str) -> None:
    _, _, json_headers = post(url, "/", JSON_HEADERS, b"{oops")
    _, cbor_document, cbor_headers = post(url, CBOR_PATH, CBOR_HEADERS, b"\xff")

    assert json_headers["content-type"] == "application/x-amz-json-1.1"
    assert cbor_headers["content-type"] == "application/cbor"
    assert cbor_headers["smithy-protocol"] == "rpc-v2-cbor"
    assert cbor_document["__type"] == "com.amazonaws.appstream#SerializationException"
    assert "x-amzn-requestid" in json_headers


@pytest.mark.parametrize(
    ("path", "headers", "status"),
    [
        ("/", {**JSON_HEADERS, "X-Amz-Target": "PhotonAdminProxyService.LaunchRockets"}, 400),
        ("/", {**JSON_HEADERS, "X-Amz-Target": "SomeOtherService.DescribeImages"}, 400),
        ("/", {"Content-Type": "application/x-amz-json-1.1"}, 400),
        ("/service/PhotonAdminProxyService/operation/LaunchRockets", CBOR_HEADERS, 404),
        ("/service/Elsewhere/operation/DescribeImages", CBOR_HEADERS, 404),
    ],
    ids=["json-unknown-op", "json-other-service", "json-no-target", "cbor-unknown-op", "cbor-other-service"],
)
def test_unknown_operations(url: str, path: str, headers: dict[str, str], status: int) -> None:
    body = cbor2.dumps({}) if "smithy-protocol" in headers else b"{}"

    answered, document, _ = post(url, path, headers, body)

    assert answered == status
    assert document["__type"].rsplit("#", 1)[-1] == "UnknownOperationException"


@pytest.mark.parametrize(
    ("path", "headers", "body"),
    [
        ("/", {**JSON_HEADERS, "Content-Type": "text/plain"}, b"{}"),
        (CBOR_PATH, {**CBOR_HEADERS, "Content-Type": "application/json"}, b"{}"),
    ],
    ids=["json-as-text", "cbor-as-json"],
)
def test_wrong_content_types_are_415s(url: str, path: str, headers: dict[str, str], body: bytes) -> None:
    status, document, _ = post(url, path, headers, body)

    assert status == 415
    assert document["__type"].rsplit("#", 1)[-1] == "UnsupportedMediaTypeException"


def test_cbor_requires_the_smithy_protocol_header(url: str) -> None:
    headers = {"Content-Type": "application/cbor"}

    status, document, _ = post(url, CBOR_PATH, headers, cbor2.dumps({}))

    assert (status, document["__type"]) == (400, "com.amazonaws.appstream#SerializationException")


def test_an_empty_body_means_no_members(url: str) -> None:
    listed_status, listed, _ = post(url, "/", JSON_HEADERS, b"")
    create_headers = {**JSON_HEADERS, "X-Amz-Target": "PhotonAdminProxyService.CreateImportedImage"}
    create_status, refused, _ = post(url, "/", create_headers, b"")

    assert listed_status == 200 and listed["Images"]  # DescribeImages has no required member
    assert (create_status, refused["__type"]) == (400, "ValidationException")
    assert "Name" in refused["message"]


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_other_methods_are_405s(url: str, method: str) -> None:
    status, document, _ = post(url, "/", JSON_HEADERS, b"", method=method)

    assert (status, document["__type"]) == (405, "UnknownOperationException")


def test_an_invalid_content_length_is_a_400(url: str) -> None:
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=30) as connection:
        connection.sendall(
            b"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: PhotonAdminProxyService.DescribeImages\r\n"
            b"Content-Type: application/x-amz-json-1.1\r\nContent-Length: lots\r\n\r\n"
        )
        reply = connection.makefile("rb").readline()

    assert reply.startswith(b"HTTP/1.1 400")


def test_a_chunked_body_is_read(url: str) -> None:
    parts = urlsplit(url)
    pieces = [b'{"Max', b'Results":', b" 1}"]
    chunked = b"".join(b"%x\r\n%s\r\n" % (len(piece), piece) for piece in pieces) + b"0\r\n\r\n"
    with socket.create_connection((parts.hostname, parts.port), timeout=30) as connection:
        connection.sendall(
            b"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: PhotonAdminProxyService.DescribeImages\r\n"
            b"Content-Type: application/x-amz-json-1.1\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked
        )
        response = http.client.HTTPResponse(connection)
        response.begin()
        document = json.loads(response.read())

    assert response.status == 200
    assert len(document["Images"]) == 1


def test_a_core_failure_is_an_internal_failure_500(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_: object) -> dict[str, object]:
        raise ZeroDivisionError("a bug in the core")

    monkeypatch.setitem(OPERATIONS, "DescribeImages", broken)
    client = client_speaking(None, endpoint_url=url, config=Config(retries={"total_max_attempts": 1}))

    with pytest.raises(ClientError) as caught:
        client.describe_images()

    assert caught.value.response["Error"]["Code"] == "InternalFailure"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
    assert "a bug in the core" not in str(caught.value)  # no internals leak to clients


def test_keep_alive_connections_serve_many_requests(url: str) -> None:
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=30)
    try:
        statuses = []
        for _ in range(3):
            connection.request("POST", "/", body=b"{}", headers=JSON_HEADERS)
            response = connection.getresponse()
            response.read()
            statuses.append(response.status)
    finally:
        connection.close()

    assert statuses == [200, 200, 200]


def test_shutdown_releases_the_port_despite_open_connections(emulator: Emulator) -> None:
    with serve_in_thread(emulator) as bound:
        parts = urlsplit(bound)
        idle = socket.create_connection((parts.hostname, parts.port), timeout=30)  # held open, never used

    try:
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection((parts.hostname, parts.port), timeout=30).close()
    finally:
        idle.close()


def test_the_url_names_the_bound_port(emulator: Emulator) -> None:
    server = EmulatorServer(emulator, "127.0.0.1", 0)
    try:
        assert server.url == f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.server_close()
