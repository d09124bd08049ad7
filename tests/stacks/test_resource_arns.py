"""Every resource ARN a policy grants on has the format AWS gives that action's resource types.

A grant on an ARN no resource can have is a silent denial at run time: retention was allowed
to delete `snapshot/*` of this account, but snapshot ARNs carry no account, so it could
deregister an AMI and never delete its snapshots. The formats come from AWS's service
authorization data as cfn-lint ships it (`${Partition}`, `${Region}`, `${Account}`, `.*`).
"""

from __future__ import annotations

import fnmatch
import re
from typing import Any

from stacks import asl
from stacks.config import load_config
from tests.stacks import policies
from tests.stacks.conftest import Synth

# (action, ARN) pairs that match no published format by design, each with its reason.
EXCEPTIONS: dict[tuple[str, str], str] = {
    (
        "appstream:CreateImageBuilder",
        f"arn:aws:appstream:{policies.REGION}::image/*",
    ): "AWS-owned base images (a request may start from one) have no account in their ARN, "
    "while the published format of the image type has one.",
    (
        "appstream:CreateImageBuilder",
        f"arn:aws:appstream:{policies.REGION}:111122223333:image/*",
    ): "An image another account shares (the example's settings.shared_image_accounts) has its owner's "
    "account in its ARN: the format's ${Account}, which this check reads as this account.",
}


# The stack's region, and those the example configuration lets runs copy their images to.
REGIONS = (
    policies.REGION,
    *load_config(asl.PROJECT_ROOT / "stacks" / "pipelines.example.yaml").settings.distribution_regions,
)


def _pattern(arn_format: str) -> re.Pattern[str]:
    values = {"Partition": policies.PARTITION, "Account": policies.ACCOUNT}
    values["AccountId"] = policies.ACCOUNT
    regex = ""
    for token in re.split(r"(\$\{[^}]*\}|\.\*|\*)", arn_format):
        if token == "${Region}":
            regex += "(?:" + "|".join(re.escape(region) for region in REGIONS) + ")"
        elif token.startswith("${"):
            regex += re.escape(values[token[2:-1]]) if token[2:-1] in values else "[^:]*"
        elif token in (".*", "*"):
            regex += ".*"
        else:
            regex += re.escape(token)
    return re.compile(regex + "$")


def _formats(service: dict[str, Any], action: str) -> list[re.Pattern[str]]:
    kinds = service["Actions"][action].get("Resources", [])
    return [_pattern(arn_format) for kind in kinds for arn_format in service["Resources"][kind]["ARNFormats"]]


def _mismatches(template: dict[str, Any]) -> list[str]:
    data = policies.published_actions()
    found = []
    for statement in policies.statements(template):
        for action in statement.actions:
            prefix, name = action.lower().split(":")
            service = data[prefix]
            covered = fnmatch.filter(service["Actions"], name)
            if not covered:
                found.append(f"{statement.policy}: unknown action {action}")
                continue
            # An exact action must accept the ARN; a wildcard (a Deny of `s3:*`) only one of its actions.
            formats = [pattern for each in covered for pattern in _formats(service, each)]
            for arn in statement.resources:
                if arn == "*" or (action, arn) in EXCEPTIONS:
                    continue
                if not any(pattern.match(arn) for pattern in formats):
                    found.append(f"{statement.policy}: {action} on {arn}")
    return sorted(set(found))


def test_every_granted_arn_has_a_format_its_action_accepts(synth: Synth) -> None:
    assert _mismatches(synth.raw) == []


def test_the_check_sees_the_grants_and_their_arns(synth: Synth) -> None:
    """The resolver makes the ARNs concrete, so an empty list above means something."""
    granted = {arn for statement in policies.statements(synth.raw) for arn in statement.resources}
    assert f"arn:aws:ec2:{policies.REGION}::snapshot/*" in granted
    table = f"arn:aws:dynamodb:{policies.REGION}:{policies.ACCOUNT}:table/"
    assert any(arn.startswith(table) for arn in granted)


def test_exceptions_are_still_granted(synth: Synth) -> None:
    granted = {
        (action, arn)
        for statement in policies.statements(synth.raw)
        for action in statement.actions
        for arn in statement.resources
    }
    assert set(EXCEPTIONS) <= granted, "an exception no longer applies: remove it"
