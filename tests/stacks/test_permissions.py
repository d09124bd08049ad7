"""The AppStream permission split agrees with AWS's published action data (as cfn-lint ships it)."""

from __future__ import annotations

import json
from importlib import resources

from stacks.permissions import APPSTREAM_SCOPED_ACTIONS, APPSTREAM_UNSCOPED_ACTIONS, AWS_OWNED_IMAGE


def _appstream_actions() -> dict[str, list[str]]:
    data = json.loads(resources.files("cfnlint").joinpath("data/AdditionalSpecs/Policies.json").read_text())
    return {name: spec.get("Resources", []) for name, spec in data["appstream"]["Actions"].items()}


def test_scoped_actions_accept_exactly_the_resource_types_they_are_granted_on() -> None:
    published = _appstream_actions()
    for action, kinds in APPSTREAM_SCOPED_ACTIONS.items():
        name = action.split(":")[1].lower()
        granted = {"image" if kind == AWS_OWNED_IMAGE else kind for kind in kinds}
        assert granted <= set(published[name]), action


def test_unscoped_actions_really_accept_no_resource() -> None:
    published = _appstream_actions()
    for action in APPSTREAM_UNSCOPED_ACTIONS:
        assert published[action.split(":")[1].lower()] == [], f"{action} can be scoped: move it"
