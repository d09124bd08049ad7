"""The in-process front: which clients it routes, what it restores, and living beside moto."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import boto3
import botocore.session
import pytest
import yaml
from botocore.config import Config
from botocore.exceptions import ClientError, EndpointConnectionError
from botocore.hooks import HierarchicalEmitter
from moto import mock_aws

from appstream_emulator.clock import ManualClock
from appstream_emulator.core import Emulator
from appstream_emulator.inprocess import emulated_appstream
from appstream_emulator.operations import OPERATIONS
from appstream_emulator.pytest_plugin import client_speaking

# A closed local port: a client that is not routed fails to connect instead of reaching AWS.
UNROUTED_ENDPOINT = "http://127.0.0.1:9"
ONE_ATTEMPT = Config(retries={"total_max_attempts": 1})


def emulator() -> Emulator:
    return Emulator(clock=ManualClock())


def import_image(client: object, name: str) -> None:
    client.create_imported_image(  # type: ignore[attr-defined]
        Name=name,
        SourceAmiId="ami-0123456789abcdef0",
        IamRoleArn="arn:aws:iam::123456789012:role/AppStreamImport",
    )


def private_image_names(target: Emulator) -> list[str]:
    return [image["name"] for image in target.inventory()["images"]]


def test_routes_clients_from_every_kind_of_session() -> None:
    with emulated_appstream(emulator()) as target:
        import_image(boto3.client("appstream", region_name="us-east-1"), "from-boto3-default")
        import_image(boto3.Session().client("appstream", region_name="us-east-1"), "from-boto3-session")
        import_image(
            botocore.session.get_session().create_client("appstream", region_name="us-east-1"),
            "from-botocore-session",
        )

    assert sorted(private_image_names(target)) == [
        "from-boto3-default",
        "from-boto3-session",
        "from-botocore-session",
    ]


def test_routes_clients_pointed_at_another_endpoint_and_created_before_the_block() -> None:
    client = boto3.client("appstream", region_name="us-east-1", endpoint_url=UNROUTED_ENDPOINT)

    with emulated_appstream(emulator()) as target:
        import_image(client, "early-client")

    assert private_image_names(target) == ["early-client"]


@pytest.mark.parametrize("protocol", ["json", "smithy-rpc-v2-cbor"])
def test_botocore_parses_both_protocols_in_process(protocol: str) -> None:
    with emulated_appstream(emulator()):
        client = client_speaking(protocol)
        import_image(client, "imported")
        images = client.describe_images(Names=["imported"])["Images"]

    assert images[0]["Name"] == "imported"
    assert images[0]["CreatedTime"].year == 2026  # a datetime, as botocore parses a timestamp


def test_restores_botocore_on_exit() -> None:
    original = HierarchicalEmitter.emit

    with emulated_appstream(emulator()):
        assert HierarchicalEmitter.emit is not original
    client = boto3.client(
        "appstream", region_name="us-east-1", endpoint_url=UNROUTED_ENDPOINT, config=ONE_ATTEMPT
    )

    assert HierarchicalEmitter.emit is original
    with pytest.raises(EndpointConnectionError):
        client.describe_images()


def test_restores_botocore_when_the_block_raises() -> None:
    original = HierarchicalEmitter.emit

    with pytest.raises(RuntimeError, match="boom"), emulated_appstream(emulator()):
        raise RuntimeError("boom")

    assert HierarchicalEmitter.emit is original


def test_the_innermost_block_answers_and_the_outer_one_resumes() -> None:
    client = boto3.client("appstream", region_name="us-east-1")
    outer, inner = emulator(), emulator()

    with emulated_appstream(outer):
        with emulated_appstream(inner):
            import_image(client, "inner-image")
        import_image(client, "outer-image")

    assert private_image_names(inner) == ["inner-image"]
    assert private_image_names(outer) == ["outer-image"]


def test_routes_calls_made_from_other_threads() -> None:
    with emulated_appstream(emulator()) as target, ThreadPoolExecutor(max_workers=4) as pool:
        client = boto3.client("appstream", region_name="us-east-1")
        list(pool.map(lambda n: import_image(client, f"threaded-{n}"), range(8)))

    assert sorted(private_image_names(target)) == sorted(f"threaded-{n}" for n in range(8))


def test_creates_an_emulator_when_given_none() -> None:
    with emulated_appstream() as target:
        import_image(boto3.client("appstream", region_name="us-east-1"), "default-emulator")

    assert isinstance(target, Emulator)
    assert private_image_names(target) == ["default-emulator"]


@pytest.mark.parametrize("moto_outside", [True, False], ids=["moto-outside", "moto-inside"])
def test_coexists_with_moto(moto_outside: bool) -> None:
    target = emulator()
    with (
        mock_aws() if moto_outside else emulated_appstream(target),
        emulated_appstream(target) if moto_outside else mock_aws(),
    ):
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="image-factory-artifacts")
        appstream = boto3.client("appstream", region_name="us-east-1")
        import_image(appstream, "beside-moto")
        buckets = [bucket["Name"] for bucket in s3.list_buckets()["Buckets"]]

    assert buckets == ["image-factory-artifacts"]
    assert private_image_names(target) == ["beside-moto"]


def test_an_unexpected_core_failure_is_an_internal_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_: object) -> dict[str, object]:
        raise KeyError("a bug in the core")

    monkeypatch.setitem(OPERATIONS, "DescribeImages", broken)
    with emulated_appstream(emulator()):
        client = boto3.client("appstream", region_name="us-east-1", config=ONE_ATTEMPT)
        with pytest.raises(ClientError) as caught:
            client.describe_images()

    assert caught.value.response["Error"]["Code"] == "InternalFailure"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500


def test_a_wrapper_installed_after_ours_survives_the_block() -> None:
    botocore_emit = HierarchicalEmitter.emit
    seen: list[str] = []

    with emulated_appstream(emulator()):
        inner = HierarchicalEmitter.emit

        def recording_emit(self: HierarchicalEmitter, event_name: str, **kwargs: object) -> object:
            seen.append(event_name)
            return inner(self, event_name, **kwargs)

        HierarchicalEmitter.emit = recording_emit  # type: ignore[method-assign]
    try:
        client = boto3.client(
            "appstream", region_name="us-east-1", endpoint_url=UNROUTED_ENDPOINT, config=ONE_ATTEMPT
        )
        still_wrapped = HierarchicalEmitter.emit is recording_emit
        with pytest.raises(EndpointConnectionError):  # no longer routed, and the chain still works
            client.describe_images()
    finally:
        HierarchicalEmitter.emit = inner  # type: ignore[method-assign]
        with emulated_appstream(emulator()):  # the next block's exit takes ours out again
            pass

    assert still_wrapped
    assert "before-send.appstream.DescribeImages" in seen
    assert HierarchicalEmitter.emit is botocore_emit


@pytest.fixture
def no_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    """A clean machine: no credentials in the environment, no ~/.aws files."""
    for variable in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", f"{tmp_path}/no-config")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", f"{tmp_path}/no-credentials")


@pytest.mark.usefixtures("no_credentials")
def test_clients_need_no_credentials_in_process() -> None:
    with emulated_appstream(emulator()) as target:
        import_image(boto3.client("appstream", region_name="us-east-1"), "no-credentials")
    assert private_image_names(target) == ["no-credentials"]
    assert boto3.Session().get_credentials() is None  # and none were left behind


@pytest.mark.usefixtures("no_credentials")
def test_a_local_run_needs_no_credentials(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from image_factory.cli import main
    from tests.engine.pipeline_support import FAST_DURATIONS, fast_request

    # The reference pipeline with shortened phases: credentials are looked up the same way whatever
    # the phases last (the demo test runs the reference timeline as `make demo` does).
    request, scenario = tmp_path / "request.json", tmp_path / "scenario.yaml"
    request.write_text(json.dumps(fast_request("reference")))
    scenario.write_text(yaml.safe_dump({"durations": FAST_DURATIONS}))
    assert main(["run", "--local", str(request), "--scenario", str(scenario)]) == 0, capsys.readouterr().err
    assert "SUCCEEDED" in capsys.readouterr().out
