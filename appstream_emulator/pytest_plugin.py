"""pytest fixtures for code that calls AppStream: an emulator on a manual clock, routed in-process.

Enable with `pytest_plugins = ["appstream_emulator.pytest_plugin"]` in a conftest.py.

    def test_import(appstream_client, appstream_clock):
        appstream_client.create_imported_image(...)
        appstream_clock.advance(3600)  # simulated time moves only when the test says so
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from typing import TYPE_CHECKING, Any

import boto3
import botocore.loaders
import botocore.session
import pytest

from appstream_emulator.clock import ManualClock
from appstream_emulator.core import Emulator
from appstream_emulator.inprocess import emulated_appstream

if TYPE_CHECKING:
    from mypy_boto3_appstream import AppStreamClient

REGION = "us-east-1"
PLACEHOLDER_CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


@pytest.fixture
def appstream_clock() -> ManualClock:
    """The emulator's clock: call `.advance(seconds)` to move resources through their states."""
    return ManualClock()


@pytest.fixture
def appstream_emulator(appstream_clock: ManualClock) -> Iterator[Emulator]:
    """An emulator every AppStream client in the process talks to for the duration of the test."""
    with emulated_appstream(Emulator(clock=appstream_clock, region=REGION)) as emulator:
        yield emulator


@pytest.fixture
def appstream_client(appstream_emulator: Emulator) -> AppStreamClient:
    """A boto3 AppStream client (us-east-1, placeholder credentials) answered by `appstream_emulator`."""
    return client_speaking(None)


def client_speaking(protocol: str | None, **client_kwargs: Any) -> AppStreamClient:
    """A boto3 AppStream client speaking `protocol`: "json", "smithy-rpc-v2-cbor" or None (botocore's choice).

    botocore picks `json` for AppStream because it ranks it first among the protocols
    the model lists; pinning the model's `protocols` is how a test exercises the other.
    """
    kwargs: dict[str, Any] = {"region_name": REGION, **PLACEHOLDER_CREDENTIALS, **client_kwargs}
    return _session(protocol).client("appstream", **kwargs)


@cache
def _session(protocol: str | None) -> boto3.Session:
    # One session per protocol: its loader keeps the parsed models, so clients are quick to create.
    session = botocore.session.get_session()
    if protocol is not None:
        session.register_component("data_loader", _ProtocolPinningLoader(protocol))
    return boto3.Session(botocore_session=session)


class _ProtocolPinningLoader(botocore.loaders.Loader):
    """Loads the models as usual, but AppStream's lists only `protocol`."""

    def __init__(self, protocol: str) -> None:
        super().__init__()
        self._protocol = protocol

    def load_service_model(self, service_name: str, type_name: str, api_version: str | None = None) -> Any:
        model = super().load_service_model(service_name, type_name, api_version)
        if service_name == "appstream" and type_name == "service-2":
            model = {**model, "metadata": {**model["metadata"], "protocols": [self._protocol]}}
        return model
