"""Values that only stand in for a real account's: a deployment refuses them, naming the field.

`pipelines.example.yaml` documents every field with AWS's documentation placeholders (account
123456789012, ids ending 0123456789abcdef0). A copy that still holds one would deploy a stack whose
runs fail much later (AppStream refuses the role, the trigger never fires), so the app stops first.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from stacks.config import DeploymentConfig, field_path
from stacks.request_contract import strings

PLACEHOLDER_ACCOUNT = "123456789012"
# The account the example shares images from (settings.shared_image_accounts).
PLACEHOLDER_SHARING_ACCOUNT = "111122223333"
_ACCOUNTS = f"(?:{PLACEHOLDER_ACCOUNT}|{PLACEHOLDER_SHARING_ACCOUNT})"
_PLACEHOLDERS = (
    (re.compile(rf"^arn:[a-z-]+:[a-z0-9-]+:[a-z0-9-]*:{_ACCOUNTS}:"), "the example's account"),
    (re.compile(rf"^{_ACCOUNTS}$"), "the example's account"),
    (re.compile(r"^(ami|subnet|sg|vpc|vpce)-0123456789abcdef0$"), "the example's id"),
)


def placeholder_problems(config: DeploymentConfig) -> Iterator[str]:
    """`<field>: <value> is ...` for each placeholder left in the file."""
    for field, value in config_strings(config):
        for pattern, what in _PLACEHOLDERS:
            if pattern.match(value):
                yield f"{field}: {value} holds {what}, a placeholder; put your own"


def config_strings(config: DeploymentConfig) -> Iterator[tuple[str, str]]:
    """(field path as the configuration errors name it, value) of every string in the file."""
    for location, value in strings(config.model_dump(by_alias=True, exclude_none=True)):
        yield field_path(location), value
