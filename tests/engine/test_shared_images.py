"""A run starts its builder from an image another account shares (source.image_arn)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.engine.pipeline_support import fast_engine, fast_request, fast_scenario

pytestmark = pytest.mark.slow
CREATES = ("CreateImportedImage", "CreateImageBuilder", "CreateExportImageTask")
# The example deployment (the local engine's without a configuration) lets builders start from
# this account's images: settings.shared_image_accounts in stacks/pipelines.example.yaml.
SHARING = "111122223333"


def shared_request(account: str = SHARING, region: str = "us-east-1") -> dict[str, Any]:
    document = fast_request("from-existing-image")
    document["source"] = {"image_arn": f"arn:aws:appstream:{region}:{account}:image/golden-base"}
    return document


def sharing(account: str = SHARING, **image: Any) -> Any:
    return fast_scenario(images=[{"name": "golden-base", "shared_by": account, **image}])


@pytest.mark.usefixtures("deployed_permissions")
def test_a_run_builds_on_an_image_shared_from_another_account() -> None:
    document = shared_request()
    with fast_engine(sharing()) as engine:
        outcome = engine.run(document)
        made = engine.emulator.call("DescribeImages", {"Arns": [outcome.resources["snapshot"]["image_arn"]]})

    assert outcome.status == "SUCCEEDED", outcome.error
    (image,) = made["Images"]
    assert image["BaseImageArn"] == document["source"]["image_arn"]
    assert image["Visibility"] == "PRIVATE"  # the new image is this account's own


@pytest.mark.parametrize(
    ("account", "region", "said"),
    [
        ("444455556666", "us-east-1", "not among the deployment's shared_image_accounts (111122223333)"),
        (SHARING, "eu-west-1", "region eu-west-1"),
    ],
)
def test_an_image_the_deployment_may_not_build_on_fails_the_preflight(
    account: str, region: str, said: str
) -> None:
    with fast_engine(sharing(account)) as engine:
        outcome = engine.run(shared_request(account, region))
        calls = engine.counters().appstream_calls_by_operation

    assert outcome.status == "FAILED" and outcome.error is not None
    assert (outcome.error.step, outcome.error.code) == ("preflight", "InvalidPipelineRequest")
    assert "source.image_arn" in outcome.error.message and said in outcome.error.message
    assert not [call for call in CREATES if call in calls]


def test_a_shared_image_its_owner_keeps_from_builders_fails_the_run_before_a_builder_is_made() -> None:
    with fast_engine(sharing(allow_image_builder=False)) as engine:
        outcome = engine.run(shared_request())
        calls = engine.counters().appstream_calls_by_operation

    assert outcome.status == "FAILED" and outcome.error is not None
    assert (outcome.error.step, outcome.error.code) == ("source", "SourceImageNotUsable")
    assert "CreateImageBuilder" not in calls
