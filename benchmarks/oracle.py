"""Is a document valid? Judged without the product's own models.

Three sources, none of them pydantic:
- the published JSON Schema of the document, through `jsonschema`'s Draft 2020-12 validator
  (`pattern` with ECMA-262's `$`: the end of the text, not before a final newline);
- AppStream's constraints from botocore's service model, for the values that reach AppStream
  (`benchmarks.appstream_limits`);
- the cross-field rules the schemas cannot say, each named below with the field it puts at fault.

`invalid_fields` returns the dotted paths of the fields at fault (`(top level)` for the
document itself), or None when the document is valid.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from jsonschema import Draft202012Validator, validators
from jsonschema.exceptions import ValidationError

from appstream_emulator.scenario import scenario_json_schema
from appstream_emulator.service_model import INJECTABLE_COMMON_ERRORS, modelled_errors, operation_names
from benchmarks.appstream_limits import appstream_problems
from functions.workflows import get_workflow

TOP = "(top level)"
SCENARIO = "scenario"


def _ecma_pattern(validator: Any, pattern: str, instance: Any, schema: dict[str, Any]) -> Iterator[Any]:
    if not isinstance(instance, str):
        return
    anchored = pattern[:-1] + r"\Z" if pattern.endswith("$") and not pattern.endswith(r"\$") else pattern
    if re.search(anchored, instance) is None:
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


Validator = validators.extend(Draft202012Validator, {"pattern": _ecma_pattern})


@cache
def schema_of(kind: str) -> dict[str, Any]:
    return scenario_json_schema() if kind == SCENARIO else get_workflow(kind).json_schema()


@cache
def _validator(kind: str) -> Any:
    schema = schema_of(kind)
    Draft202012Validator.check_schema(schema)
    return Validator(schema)


def _dotted(parts: Any) -> str:
    return ".".join(str(part) for part in parts) or TOP


def _join(path: Any, key: str) -> str:
    prefix = ".".join(str(part) for part in path)
    return f"{prefix}.{key}" if prefix else (key or TOP)  # a top-level key "" names the document


def schema_problems(kind: str, document: Any) -> set[str]:
    """Dotted paths of what the schema refuses: a missing or unknown key is named itself."""
    validator = _validator(kind)
    problems: set[str] = set()
    for error in validator.iter_errors(document):
        path, instance = error.absolute_path, error.instance
        if error.validator == "required" and isinstance(instance, dict):
            problems |= {_join(path, key) for key in error.validator_value if key not in instance}
        elif error.validator == "additionalProperties" and isinstance(instance, dict):
            known = set(error.schema.get("properties", {}))
            problems |= {_join(path, str(key)) for key in instance if key not in known}
        elif error.validator == "propertyNames" and isinstance(instance, dict):
            names = validator.evolve(schema=error.validator_value)
            problems |= {_join(path, str(key)) for key in instance if not names.is_valid(key)}
        else:
            problems.add(_dotted(path))
    return problems


# --- cross-field rules ---------------------------------------------------------------------------


def _at(document: Any, path: str) -> Any:
    node = document
    for part in path.split("."):
        if isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
    return node


def _given(value: Any) -> bool:
    return value is not None


def _repeated(values: Any, key: Callable[[Any], Any] = lambda value: value) -> bool:
    if not isinstance(values, list):
        return False
    seen = [key(value) for value in values]
    hashable = [item for item in seen if isinstance(item, (str, int, float, bool))]
    return len(set(hashable)) != len(hashable)


def _overlap(first: Any, second: Any) -> bool:
    if not isinstance(first, list) or not isinstance(second, list):
        return False
    return bool(
        {item for item in first if isinstance(item, str)} & {item for item in second if isinstance(item, str)}
    )


def _waits(document: Any) -> set[str]:
    """Every phase wait: expected_minutes at most ceiling_minutes. At fault: the wait."""
    waits = _at(document, "waits")
    problems = set()
    if isinstance(waits, dict):
        for name, wait in waits.items():
            expected, ceiling = _at(wait, "expected_minutes"), _at(wait, "ceiling_minutes")
            if _numbers(expected, ceiling) and expected > ceiling:
                problems.add(f"waits.{name}")
    return problems


def _numbers(*values: Any) -> bool:
    return all(isinstance(value, (int, float)) and not isinstance(value, bool) for value in values)


Rule = tuple[str, Callable[[Any], set[str]]]


def _rule(field: str, broken: Callable[[dict[str, Any]], bool]) -> Callable[[Any], set[str]]:
    return lambda document: {field} if isinstance(document, dict) and broken(document) else set()


ORIGINS = ("ami_id", "workspace_image_id", "image_name", "image_arn")

PIPELINE_RULES: list[Rule] = [
    (
        "source: exactly one origin of ami_id, workspace_image_id, image_name and image_arn",
        _rule(
            "source",
            lambda d: (
                isinstance(d.get("source"), dict)
                and sum(_given(_at(d, f"source.{origin}")) for origin in ORIGINS) != 1
            ),
        ),
    ),
    (
        "source.workspace_image_id: not with ami_id",
        _rule(
            "source.workspace_image_id",
            lambda d: _given(_at(d, "source.ami_id")) and _given(_at(d, "source.workspace_image_id")),
        ),
    ),
    (
        "source: import_role_arn with ami_id, never with image_name",
        _rule(
            "source",
            lambda d: (
                isinstance(d.get("source"), dict)
                and (
                    (_given(_at(d, "source.ami_id")) and not _given(_at(d, "source.import_role_arn")))
                    or (
                        _given(_at(d, "source.import_role_arn"))
                        and not _given(_at(d, "source.ami_id"))
                        and not _given(_at(d, "source.workspace_image_id"))
                    )
                )
            ),
        ),
    ),
    (
        "import settings only with an import",
        _rule(
            TOP,
            lambda d: (
                "import" in d and (_given(_at(d, "source.image_name")) or _given(_at(d, "source.image_arn")))
            ),
        ),
    ),
    (
        "import.app_catalog: names unique",
        _rule(
            "import.app_catalog",
            lambda d: _repeated(_at(d, "import.app_catalog"), lambda entry: _at(entry, "name")),
        ),
    ),
    (
        "builder: security_group_ids and domain_join need subnet_ids",
        _rule(
            "builder",
            lambda d: (
                not _at(d, "builder.subnet_ids")
                and (bool(_at(d, "builder.security_group_ids")) or _given(_at(d, "builder.domain_join")))
            ),
        ),
    ),
    (
        "builder.license_included_apps: no application both installed and uninstalled",
        _rule(
            "builder.license_included_apps",
            lambda d: _overlap(
                _at(d, "builder.license_included_apps.install"),
                _at(d, "builder.license_included_apps.uninstall"),
            ),
        ),
    ),
    (
        "snapshot: scripts only in agent mode",
        _rule(
            "snapshot",
            lambda d: bool(_at(d, "snapshot.scripts")) and (_at(d, "snapshot.mode") or "agent") != "agent",
        ),
    ),
    (
        "snapshot.timeout_minutes or waits.snapshot.ceiling_minutes, not both",
        _rule(
            TOP,
            lambda d: (
                bool(_at(d, "snapshot.timeout_minutes")) and bool(_at(d, "waits.snapshot.ceiling_minutes"))
            ),
        ),
    ),
    (
        "agent mode needs builder.subnet_ids (the agent reaches S3 through the VPC)",
        _rule(
            "builder.subnet_ids",
            lambda d: (
                (_at(d, "snapshot.mode") or "agent") == "agent"
                and isinstance(d.get("builder"), dict)
                and not _at(d, "builder.subnet_ids")
            ),
        ),
    ),
    (
        "distribute.exported_ami needs export",
        _rule(
            "distribute.exported_ami",
            lambda d: _at(d, "distribute.exported_ami") is True and not isinstance(d.get("export"), dict),
        ),
    ),
    ("waits: expected_minutes at most ceiling_minutes", _waits),
]


def _fleet_set_and_remove(document: Any) -> set[str]:
    fleets = _at(document, "fleets")
    if not isinstance(fleets, list):
        return set()
    return {
        f"fleets.{index}"
        for index, fleet in enumerate(fleets)
        if _given(_at(fleet, "root_volume_gb")) and _at(fleet, "remove_root_volume") is True
    }


def _unknown_zone(document: dict[str, Any]) -> bool:
    zone = _at(document, "maintenance_window.time_zone")
    if not isinstance(zone, str):
        return False
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        return True
    return False


LIFECYCLE_RULES: dict[str, list[Rule]] = {
    "export-backup": [
        (
            "images: image_name, or a filter (name_prefix and/or tags), not both",
            _rule(
                "images",
                lambda d: (
                    isinstance(d.get("images"), dict)
                    and _given(_at(d, "images.image_name"))
                    == (_given(_at(d, "images.name_prefix")) or bool(_at(d, "images.tags")))
                ),
            ),
        ),
    ],
    "fleet-rollout": [
        (
            "fleets: each fleet once",
            _rule("fleets", lambda d: _repeated(d.get("fleets"), lambda fleet: _at(fleet, "name"))),
        ),
        ("fleets.N: root_volume_gb or remove_root_volume, not both", _fleet_set_and_remove),
        (
            "maintenance_window.time_zone: an IANA time zone",
            _rule("maintenance_window.time_zone", _unknown_zone),
        ),
        (
            "maintenance_window.days: each day once",
            _rule("maintenance_window.days", lambda d: _repeated(_at(d, "maintenance_window.days"))),
        ),
        (
            "maintenance_window: start and end differ",
            _rule(
                "maintenance_window",
                lambda d: (
                    isinstance(d.get("maintenance_window"), dict)
                    and _at(d, "maintenance_window.start") is not None
                    and _at(d, "maintenance_window.start") == _at(d, "maintenance_window.end")
                ),
            ),
        ),
    ],
    "retention": [("pipelines: each once", _rule("pipelines", lambda d: _repeated(d.get("pipelines"))))],
}


def _fault_problems(document: Any) -> set[str]:
    """An operation fault names an AppStream operation and an error it can return (botocore);
    TIMED_OUT is an outcome of resource export_task only."""
    faults = _at(document, "faults")
    problems: set[str] = set()
    if not isinstance(faults, list):
        return problems
    for index, fault in enumerate(faults):
        if not isinstance(fault, dict):
            continue
        operation = fault.get("operation")
        if "operation" in fault:  # a value of the wrong type is the schema's to report
            if isinstance(operation, str) and operation not in operation_names():
                problems.add(f"faults.{index}.operation")
            elif (
                isinstance(operation, str)
                and isinstance(fault.get("error"), str)
                and fault["error"] not in (modelled_errors(operation) | set(INJECTABLE_COMMON_ERRORS))
            ):
                problems.add(f"faults.{index}.error")
        elif fault.get("outcome") == "TIMED_OUT" and fault.get("resource") != "export_task":
            problems.add(f"faults.{index}.outcome")
    return problems


def _rate_limit_problems(document: Any) -> set[str]:
    """Rate limits are keyed by AppStream operations (botocore)."""
    limits = _at(document, "rate_limits")
    if not isinstance(limits, dict):
        return set()
    return {f"rate_limits.{name}" for name in limits if name not in operation_names()}


SCENARIO_RULES: list[Rule] = [
    (
        "faults: an AppStream operation and an error it can return; TIMED_OUT only for export_task",
        _fault_problems,
    ),
    ("rate_limits: keyed by AppStream operation", _rate_limit_problems),
]
COMMON_LIFECYCLE_RULES: list[Rule] = [("waits: expected_minutes at most ceiling_minutes", _waits)]


def rules_of(kind: str) -> list[Rule]:
    if kind == SCENARIO:
        return SCENARIO_RULES
    if kind == "image-pipeline":
        return PIPELINE_RULES
    return LIFECYCLE_RULES.get(kind, []) + COMMON_LIFECYCLE_RULES


def rule_problems(kind: str, document: Any) -> set[str]:
    problems: set[str] = set()
    for _, rule in rules_of(kind):
        problems |= rule(document)
    return problems


def invalid_fields(kind: str, document: Any) -> set[str] | None:
    """The fields at fault, or None when the schema, AppStream and the cross-field rules all accept."""
    problems = schema_problems(kind, document)
    if kind != SCENARIO:
        problems |= appstream_problems(kind, document)
    problems |= rule_problems(kind, document)
    return problems or None


def names_the_fault(reported: str, invalid: set[str]) -> bool:
    """A reported field names a field at fault: the same path, or a path inside it (a tag key's
    `[key]` and a scenario fault's union tag are read through)."""
    path = _normalised(reported)
    # Both sides read through `[key]`: a bad key of a map is named by the key's own path on each.
    faults = {_normalised(fault) for fault in invalid}
    return any(
        path == fault or path.startswith(fault + ".") or (fault == TOP and path == TOP) for fault in faults
    )


def _normalised(reported: str) -> str:
    if reported in ("(request)", "(top level)", "(body)", ""):
        return TOP
    return reported.removesuffix(".[key]")
