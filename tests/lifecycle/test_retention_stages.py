"""Two stages in one account: retention deletes only what its own stage's runs made."""

from __future__ import annotations

import pytest

from functions.core import names
from tests.lifecycle.fleet_support import engine_for, make_builder, make_images, run_with_output
from tests.lifecycle.test_retention import DEFINITION, STAGE, account, make_ami, retention, seed

pytestmark = pytest.mark.slow
PROD = {names.TAG_PIPELINE: "web", names.TAG_STAGE: "prod"}  # same pipeline name, other stage
UNSTAGED = {names.TAG_PIPELINE: "web"}  # e.g. made before runs tagged their stage


def test_retention_leaves_another_stages_and_unstaged_resources_alone() -> None:
    with engine_for(DEFINITION) as engine:
        # Made first, so they are the oldest: were they this stage's, they would be deleted.
        make_images(engine, "prod-web-1", tags=PROD)
        make_images(engine, "unstaged-web-1", tags=UNSTAGED)
        make_ami(engine, "prod-web-ami-0", PROD)
        make_ami(engine, "unstaged-web-ami-0", UNSTAGED)
        # A live builder of a prod run: its run is in prod's runs table, unknown to this stage's.
        make_builder(engine, "prod-builder", "prod-run", {names.TAG_STAGE: "prod"})
        make_builder(engine, "unstaged-builder", "old-run", {names.TAG_STAGE: ""})
        seed(engine)
        outcome, output = run_with_output(engine, retention(dry_run=False))
        after = account(engine)
        prod_builder = engine.emulator.call("DescribeImageBuilders", {"Names": ["prod-builder"]})

    assert outcome.status == "SUCCEEDED", outcome.error
    # This stage's expired image (web-2), AMIs (web-ami-1, -2) and forgotten builder are deleted.
    assert sorted(after["images"]) == sorted(
        ["prod-web-1", "unstaged-web-1", "web-1", "web-3", "web-4", "other-1"]
    )
    assert after["amis"] == ["prod-web-ami-0", "unstaged-web-ami-0", "web-ami-3", "web-ami-4"]
    assert after["builders"] == ["busy-builder", "prod-builder", "unstaged-builder"]
    assert prod_builder["ImageBuilders"][0]["State"] == "RUNNING"  # not even stopped

    assert output is not None
    reasons = {
        entry["name"]: (entry["action"], entry["reason"])
        for kind in ("images", "builders")
        for entry in output[kind]
    }
    assert reasons["prod-web-1"] == ("keep", "stage prod's: only its own retention deletes it")
    assert reasons["prod-builder"] == ("keep", "stage prod's: only its own retention deletes it")
    assert reasons["unstaged-builder"] == (
        "keep",
        f"no {names.TAG_STAGE} tag: not known to be stage {STAGE}'s",
    )
    assert reasons["web-2"][0] == "delete"
    amis = {entry["reason"].split(":")[0]: entry["action"] for entry in output["amis"]}
    assert amis == {
        "prod-web-ami-0": "keep",
        "unstaged-web-ami-0": "keep",
        "web-ami-1": "delete",
        "web-ami-2": "delete",
        "web-ami-3": "keep",
        "web-ami-4": "keep",
    }
