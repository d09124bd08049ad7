"""Images shared from other accounts: `settings.shared_image_accounts` widens CreateImageBuilder's grant
to those accounts' images, and nothing else."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from tests.stacks.conftest import Synth
from tests.stacks.test_task_roles import _as_list, _statements, _workflow_roles


def functions(synth: Synth) -> list[dict[str, Any]]:
    return list(synth.resources("AWS::Lambda::Function").values())


# (configuration, the accounts it shares images from)
SHARING = [("example", ("111122223333",)), ("full", ("111122223333", "444455556666")), ("lean", ())]


def _naming(synth: Synth, account: str) -> list[dict[str, object]]:
    """Every statement of every role whose resources name `account`."""
    roles = [key for key, value in synth.raw["Resources"].items() if value["Type"] == "AWS::IAM::Role"]
    return [
        s for role in roles for s in _statements(synth, role) if f":{account}:" in json.dumps(s["Resource"])
    ]


@pytest.mark.parametrize(("config", "accounts"), SHARING)
def test_only_create_image_builder_names_the_shared_accounts_images(
    synths: Callable[[str], Synth], config: str, accounts: tuple[str, ...]
) -> None:
    synth = synths(config)
    own, _ = _workflow_roles(synth)
    pipeline = _statements(synth, own["image-pipeline"])
    for account in ("111122223333", "444455556666"):
        naming = _naming(synth, account)
        if account not in accounts:
            assert naming == [], account
            continue
        (statement,) = naming
        assert statement in pipeline  # the image pipeline's tasks, no other role
        assert _as_list(statement["Action"]) == ["appstream:CreateImageBuilder"]
        (resource,) = [r for r in _as_list(statement["Resource"]) if f":{account}:" in json.dumps(r)]
        assert json.dumps(resource).endswith(f':{account}:image/*"]]}}'), resource
        assert "Condition" not in statement  # a create, not a destructive action
    # The task functions (each knows the roles it may pass) know the accounts too.
    variables = [f["Properties"].get("Environment", {}).get("Variables", {}) for f in functions(synth)]
    shared = {v.get("SHARED_IMAGE_ACCOUNTS") for v in variables if "PASSABLE_ROLE_ARNS" in v}
    assert shared == {",".join(accounts) or None}
