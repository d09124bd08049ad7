"""Would a role's policy allow a call? Action and Resource are matched by moto's IAM evaluator.

moto (`moto.iam.access_control.IAMPolicyStatement`) matches Action and Resource with `*`
wildcards, case-sensitively (botocore and CDK both write canonical action names). Its own
condition handling knows only StringEquals, silently passes every other operator, and passes
a StringEquals whose key the request lacks, so conditions are not left to it: each grant is
matched by moto without its Condition block, and the condition is evaluated here with moto's
own helpers (StringEquals: `string_equals_operation`; StringLike: its `*` matcher) plus Null,
with AWS's rule that a missing key fails every operator but Null and `...IfExists`. Any
other operator, and Deny/NotAction/NotResource statements (none are deployed), raise, so a
policy this cannot evaluate fails the test instead of passing unevaluated.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from moto.iam.access_control import IAMPolicyStatement, PermissionResult
from moto.iam.policy_conditions import string_equals_operation

# condition key -> its value for this call, or None when the request does not carry it
Context = Callable[[str], str | None]


def _string_like(expected: str, actual: str) -> bool:
    return IAMPolicyStatement._match(expected, actual) is not None


_OPERATORS: dict[str, Callable[[str, str], bool]] = {
    "StringEquals": lambda expected, actual: string_equals_operation(expected, actual),
    "StringLike": _string_like,
}


class UnsupportedPolicy(Exception):
    """The policy uses an element this checker does not evaluate."""


@dataclass(frozen=True)
class Grant:
    role: str
    action: str
    resource: str
    condition: str = ""  # the Condition block as JSON-ish text, for reports and identity

    def __str__(self) -> str:
        return f"{self.action} on {self.resource}" + (f" if {self.condition}" if self.condition else "")


@dataclass
class RolePolicy:
    role: str
    grants: list[tuple[Grant, Mapping[str, Any]]] = field(default_factory=list)
    documents: list[Mapping[str, Any]] = field(default_factory=list)  # as synthesized, for a second judge

    @classmethod
    def from_documents(cls, role: str, documents: Iterable[Mapping[str, Any]]) -> RolePolicy:
        policy = cls(role, documents=list(documents))
        for document in policy.documents:
            statements = document["Statement"]
            for statement in statements if isinstance(statements, list) else [statements]:
                if statement.get("Effect") != "Allow" or {"NotAction", "NotResource"} & set(statement):
                    raise UnsupportedPolicy(f"{role}: only Allow/Action/Resource statements: {statement}")
                condition = statement.get("Condition", {})
                for action in _listed(statement["Action"]):
                    for resource in _listed(statement["Resource"]):
                        grant = Grant(role, action, resource, _describe(condition))
                        policy.grants.append((grant, condition))
        return policy

    def without(self, action: str) -> RolePolicy:
        """The same policy less every grant of one action."""
        return RolePolicy(self.role, [(g, c) for g, c in self.grants if g.action != action])

    def unconditional(self) -> RolePolicy:
        """The same grants with their conditions dropped."""
        return RolePolicy(self.role, [(grant, {}) for grant, _ in self.grants])

    @cached_property
    def condition_keys(self) -> list[str]:
        """Every condition key a grant of this role reads, sorted (read on each checked call)."""
        return sorted({key for _, condition in self.grants for keys in condition.values() for key in keys})

    def allowing(self, action: str, resource: str, context: Context) -> list[Grant]:
        """Every grant that allows the call (empty: the role refuses it)."""
        allowed = []
        for grant, condition in self.grants:
            statement = IAMPolicyStatement(
                {"Effect": "Allow", "Action": grant.action, "Resource": grant.resource}
            )
            if statement.is_action_permitted(action, resource) != PermissionResult.PERMITTED:
                continue
            if _conditions_hold(condition, context):
                allowed.append(grant)
        return allowed


def _listed(value: Any) -> list[str]:
    return value if isinstance(value, list) else [value]


def _describe(condition: Mapping[str, Any]) -> str:
    return "; ".join(f"{op} {key}={values}" for op, keys in condition.items() for key, values in keys.items())


def _conditions_hold(condition: Mapping[str, Mapping[str, Any]], context: Context) -> bool:
    for operator, keys in condition.items():
        for key, expected in keys.items():
            actual = context(key)
            if operator == "Null":
                if (actual is None) != (str(expected).lower() == "true"):
                    return False
                continue
            base = operator.removesuffix("IfExists")
            if base not in _OPERATORS:
                raise UnsupportedPolicy(f"condition operator {operator} is not evaluated")
            if actual is None:
                if operator.endswith("IfExists"):
                    continue
                return False
            if not any(_OPERATORS[base](value, actual) for value in _listed(expected)):
                return False
    return True
