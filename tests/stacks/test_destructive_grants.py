"""Stopping, deleting or changing AppStream resources holds only for what this project manages.

A task function that can delete any image or stop any fleet of the account turns one bug
(a wrong name, another stage's builder) into an outage. Every such grant must carry a
resource-tag condition (run-created images and builders, fleets tagged for this stage's
rollouts) or name its fleets one by one (the configured rollouts' fleets are the customer's).
"""

from __future__ import annotations

import re

from functions.core import names
from stacks.permissions import DESTRUCTIVE_PREFIXES
from tests.stacks import policies
from tests.stacks.conftest import Synth
from tests.stacks.test_template import EXAMPLE


def _target_type(action: str) -> str:
    """The resource type an action is named after: StopImageBuilder -> image-builder."""
    noun = re.sub(r"^(Delete|Stop|Start|Update)", "", action.split(":")[1])
    return re.sub(r"(?<!^)([A-Z])", r"-\1", noun).lower()


def _tag_condition(conditions: dict[str, dict[str, str]]) -> bool:
    tags = {key: value for operator in conditions.values() for key, value in operator.items()}
    return any(key.startswith("aws:ResourceTag/") and value != "true" for key, value in tags.items())


def _named_fleets(arns: tuple[str, ...]) -> set[tuple[str | None, str]] | None:
    """The fleets the ARNs list as (region, name), None for the stack's region; None when one is a
    wildcard."""
    fleets = set()
    for arn in arns:
        if ":fleet/" not in arn:
            continue
        _, partition, _, region, account, resource = arn.split(":", 5)
        name = resource.removeprefix("fleet/")
        if "*" in name:
            return None
        assert (partition, account) == (policies.PARTITION, policies.ACCOUNT), arn
        fleets.add((None if region == policies.REGION else region, name))
    return fleets


def test_every_destructive_appstream_grant_has_a_tag_condition_or_named_fleets(synth: Synth) -> None:
    configured = set(EXAMPLE.rollout_fleets())
    assert configured  # the example rolls out fleets, so the named-fleet branch is exercised
    checked = set()
    for statement in policies.statements(synth.raw):
        for action in statement.actions:
            if statement.effect != "Allow" or not action.startswith(DESTRUCTIVE_PREFIXES):
                continue
            checked.add(action)
            if _tag_condition(statement.conditions):
                continue
            assert _target_type(action) == "fleet", f"{statement.policy}: {action} holds for every resource"
            fleets = _named_fleets(statement.resources)
            if fleets:
                assert fleets == configured, f"{statement.policy}: {action}"
            else:  # UpdateFleet names the image it points a fleet at, and leaves it unchanged
                assert action == "appstream:UpdateFleet", statement.policy
                assert all(":image/" in arn for arn in statement.resources), statement.policy
    assert {"appstream:DeleteImage", "appstream:DeleteImageBuilder", "appstream:StopFleet"} <= checked


def test_the_conditions_name_the_tags_the_cleanups_select_by(synth: Synth) -> None:
    """Retention reaps builders by run id and images by pipeline, of its own stage only; runs tag what
    they create with all three."""
    expected = {
        "appstream:DeleteImageBuilder": names.TAG_RUN_ID,
        "appstream:StopImageBuilder": names.TAG_RUN_ID,
        "appstream:DeleteImage": names.TAG_PIPELINE,
    }
    for action, tag in expected.items():
        conditions = [s.conditions for s in policies.statements(synth.raw) if action in s.actions]
        assert conditions, action
        own_stage = {"StringEquals": {f"aws:ResourceTag/{names.TAG_STAGE}": "test"}}
        expected_condition = {"Null": {f"aws:ResourceTag/{tag}": "false"}, **own_stage}
        assert all(condition == expected_condition for condition in conditions), action


def test_a_fleet_opts_in_to_this_stages_rollouts_with_the_rollout_tag(synth: Synth) -> None:
    tagged = [
        s
        for s in policies.statements(synth.raw)
        if "appstream:StopFleet" in s.actions and any(":fleet/*" in arn for arn in s.resources)
    ]
    assert tagged
    for statement in tagged:
        assert statement.conditions == {"StringEquals": {f"aws:ResourceTag/{names.TAG_ROLLOUT}": "test"}}
