"""The one factory of boto3 clients used by every function.

Clients are created on first use (so tests and the local engine can route them before
anything connects) and cached per service (so a warm Lambda reuses connections). They
come from one boto3 session per process: a session loads the endpoint, partition and
default configuration data once, which a session per client would parse again for each.
botocore retries little on purpose: the state machine's Retry owns backoff, so a
throttled call surfaces quickly as a named error instead of hiding inside one task.
Endpoints are overridden for local use with the standard `AWS_ENDPOINT_URL` and
`AWS_ENDPOINT_URL_<SERVICE>` variables, which botocore reads itself.
"""

from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config

if TYPE_CHECKING:
    from mypy_boto3_appstream import AppStreamClient
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_events import EventBridgeClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sns import SNSClient

_CONFIG = Config(retries={"mode": "standard", "max_attempts": 2}, connect_timeout=5, read_timeout=30)


_lock = threading.Lock()  # the local API server creates clients from several threads
_session: boto3.session.Session | None = None
_clients: dict[str, Any] = {}


def _client(service: str, region: str | None = None) -> Any:
    key = service if region is None else f"{service}@{region}"
    client = _clients.get(key)
    if client is None:
        with _lock:
            client = _clients.get(key) or _new_client(service, region)
            _clients[key] = client
    return client


def _new_client(service: str, region: str | None) -> Any:
    global _session
    if _session is None:
        _session = boto3.session.Session()
    region = region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    return _session.client(service, region_name=region, config=_CONFIG)  # type: ignore[call-overload]


def reset() -> None:
    """Forget the session and every cached client (tests and the local engine, after re-routing
    endpoints or changing credentials: a session keeps the credentials it resolved)."""
    global _session
    with _lock:
        _session = None
        _clients.clear()


def appstream() -> AppStreamClient:
    return _client("appstream")


def appstream_in(region: str | None) -> AppStreamClient:
    """AppStream in `region` (an image's copy there, a fleet's), or the function's own for None or its
    own region's name: one client per region, so a cold function does not build the same one twice."""
    client: AppStreamClient = _client_in("appstream", region)
    return client


def _client_in(service: str, region: str | None) -> Any:
    return _client(service, region) if region and region != own_region() else _client(service)


def own_region() -> str | None:
    """The function's own region, as Lambda sets it (no client needed to know it)."""
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")


def dynamodb() -> DynamoDBClient:
    return _client("dynamodb")


def s3() -> S3Client:
    return _client("s3")


def sns() -> SNSClient:
    return _client("sns")


def events() -> EventBridgeClient:
    return _client("events")


def states() -> Any:
    """Step Functions, to resume a wait with its task token (SendTaskSuccess)."""
    return _client("stepfunctions")


def ec2() -> Any:
    """EC2, for the AMIs that exports made (retention deregisters old ones); no stubs are installed for it."""
    return _client("ec2")


def ec2_in(region: str | None) -> Any:
    """EC2 in `region` (an exported AMI's copy there), or the function's own, as `appstream_in`."""
    return _client_in("ec2", region)
