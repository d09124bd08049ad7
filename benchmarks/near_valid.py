"""Near-valid documents: a bundled example with one field set at, or just past, one of its limits.

The limits are read from the published JSON Schema: string lengths and patterns, enums,
minimum/maximum (exclusive too), array sizes, map sizes and key rules, required and unknown
keys, and the JSON type itself (`"200"`, `200.0`, `true` for a number). Name templates are
set so that, filled with the longest run id (40 characters), they are exactly AppStream's
longest name, and one character more (`benchmarks.appstream_limits`).
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from typing import Any

from benchmarks.appstream_limits import LONGEST_RUN, constraints, limits_for

DROP = object()  # the case removes the field
Case = tuple[str, Any]  # (label, value)


def _resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = schema["$defs"][node["$ref"].rsplit("/", 1)[1]]
    return node


def _branches(schema: dict[str, Any], node: dict[str, Any]) -> list[dict[str, Any]]:
    """The non-null alternatives of a property (`anyOf: [X, null]` is X)."""
    node = _resolve(schema, node)
    for key in ("anyOf", "oneOf"):
        if key in node:
            return [_resolve(schema, branch) for branch in node[key] if branch.get("type") != "null"]
    return [node]


_SIMPLE = re.compile(r"^\^((?:\[[^\]]+\]|\\.|[^\[\\(){}?*+|^$])(?:\{\d+(?:,\d*)?\}|[?*+])?)+\$$")
_ATOM = re.compile(r"(\[[^\]]+\]|\\.|[^\[\\(){}?*+|^$])(\{(\d+)(?:,(\d*))?\}|[?*+])?")


def _atom_sample(atom: str) -> str:
    if atom.startswith("["):
        body = atom[1:-1]
        return "0" if body.startswith("0") else ("a" if "a" in body or "\\w" in body else body[0])
    return atom[1] if atom.startswith("\\") else atom


def pattern_strings(pattern: str) -> list[Case]:
    """Shortest and longest strings of a simple pattern (char classes with counts), and one longer."""
    if not _SIMPLE.match(pattern):
        return []
    shortest, longest, extendable = "", "", ""
    for atom, quantifier, low, high in _ATOM.findall(pattern[1:-1]):
        sample = _atom_sample(atom)
        if quantifier.startswith("{"):
            lowest = int(low)
            highest = int(high) if high else (lowest if "," not in quantifier else lowest + 200)
        else:
            lowest, highest = {"": (1, 1), "?": (0, 1), "*": (0, 200), "+": (1, 200)}[quantifier]
        shortest += sample * lowest
        longest += sample * highest
        extendable = sample
    cases = [("pattern: shortest", shortest), ("pattern: longest", longest)]
    if extendable and len(longest) < 400:
        cases.append(("pattern: one character too long", longest + extendable))
    if shortest:
        cases.append(("pattern: one character too short", shortest[:-1]))
    return cases


def string_cases(node: dict[str, Any], valid: str | None) -> list[Case]:
    cases: list[Case] = []
    sample = valid if isinstance(valid, str) and valid else None
    filler = (sample or "a")[-1]
    if "minLength" in node:
        low = node["minLength"]
        cases.append(("minLength", filler * low))
        if low > 0:
            cases.append(("minLength - 1", filler * (low - 1)))
    if "maxLength" in node:
        high = node["maxLength"]
        cases += [("maxLength", filler * high), ("maxLength + 1", filler * (high + 1))]
    if "pattern" in node:
        cases += pattern_strings(node["pattern"])
        if sample:
            cases += [
                ("pattern: trailing newline", sample + "\n"),
                ("pattern: tab inside", sample[:1] + "\t" + sample[1:]),
                ("pattern: leading hyphen", "-" + sample),
                ("pattern: a character outside", sample + "!"),
            ]
    if "enum" in node:
        cases += [(f"enum: {value}", value) for value in node["enum"]]
        cases += [("enum: other case", str(node["enum"][0]).lower() + "x"), ("enum: empty", "")]
    if "const" in node:
        cases.append(("const: other", str(node["const"]) + "x"))
    cases.append(("type: number for a string", 1))
    return cases


def number_cases(node: dict[str, Any], integer: bool) -> list[Case]:
    step = 1 if integer else 0.001
    cases: list[Case] = []
    for key, inside, outside in (
        ("minimum", 0, -step),
        ("maximum", 0, step),
        ("exclusiveMinimum", step, 0),
        ("exclusiveMaximum", -step, 0),
    ):
        if key in node:
            limit = node[key]
            cases += [(f"{key}", _round(limit + inside)), (f"{key} passed", _round(limit + outside))]
    some = node.get("minimum", node.get("exclusiveMinimum", 0) + step)
    cases += [
        ("type: numeric string", str(some)),
        ("type: true for a number", True),
        ("type: null", None),
    ]
    if integer:
        cases += [("type: integral float", float(some)), ("type: fraction", some + 0.5)]
    return cases


def _round(value: float) -> float:
    return round(value, 6) if isinstance(value, float) else value


def array_cases(schema: dict[str, Any], node: dict[str, Any], valid: Any) -> list[Case]:
    items = valid if isinstance(valid, list) and valid else None
    cases: list[Case] = [("type: object for an array", {})]
    if items is None:
        return cases
    sizes = []
    if "minItems" in node:
        sizes += [("minItems", node["minItems"]), ("minItems - 1", node["minItems"] - 1)]
    if "maxItems" in node:
        sizes += [("maxItems", node["maxItems"]), ("maxItems + 1", node["maxItems"] + 1)]
    for label, size in sizes:
        if size >= 0:
            cases.append((label, [_variant(items[index % len(items)], index) for index in range(size)]))
    cases.append(("duplicate item", [items[0], items[0]]))
    return cases


def _variant(item: Any, index: int) -> Any:
    """A copy of a list item made distinct by its name (or its own text), so uniqueness holds."""
    if index < 1:
        return copy.deepcopy(item)
    if isinstance(item, str):
        return f"{item[: max(1, len(item) - 4)]}{index}"
    if isinstance(item, dict):
        item = copy.deepcopy(item)
        for key in ("name", "s3_uri"):
            if isinstance(item.get(key), str):
                item[key] = f"{item[key]}{index}"
        return item
    return item


def map_cases(node: dict[str, Any]) -> list[Case]:
    """A map (tags): its size, its key and value lengths, and keys AppStream or the factory reserve."""
    cases: list[Case] = []
    if "maxProperties" in node:
        high = node["maxProperties"]
        cases += [
            ("maxProperties", {f"k{index}": "v" for index in range(high)}),
            ("maxProperties + 1", {f"k{index}": "v" for index in range(high + 1)}),
        ]
    names = node.get("propertyNames", {})
    for label, key in [
        ("key: longest", "k" * names.get("maxLength", 128)),
        ("key: one character too long", "k" * (names.get("maxLength", 128) + 1)),
        ("key: empty", ""),
        ("key: aws: prefix", "aws:team"),
        ("key: AWS: prefix", "AWS:team"),
        ("key: image-factory: prefix", "image-factory:team"),
        ("key: tab", "te\tam"),
        ("key: newline", "team\n"),
        ("key: letters of any script", "équipe"),
    ]:
        cases.append((label, {key: "v"}))
    for label, value in [
        ("value: longest", "v" * 256),
        ("value: one character too long", "v" * 257),
        ("value: empty", ""),
        ("value: tab", "a\tb"),
        ("value: newline", "ab\n"),
    ]:
        cases.append((label, {"team": value}))
    return cases


def template_cases(limit: dict[str, Any]) -> list[Case]:
    """Name templates that fill to AppStream's longest name, and to one character more."""
    pattern = limit.get("pattern", "")
    longest = max(int(number) for number in re.findall(r"\{\d+,(\d+)\}", pattern)) + (
        1 if pattern.startswith("^[a-zA-Z0-9][") else 0
    )
    rest = longest - len(LONGEST_RUN) - 1
    return [
        ("template: longest name after filling", "{run}-" + "a" * rest),
        ("template: one character too long after filling", "{run}-" + "a" * (rest + 1)),
        ("template: literal longest name", "a" * longest),
        ("template: literal one character too long", "a" * (longest + 1)),
        ("template: unknown placeholder", "{unknown}-{run}"),
        ("template: twice the job name", "{pipeline}-{pipeline}-{run}"),
    ]


def field_cases(
    schema: dict[str, Any], node: dict[str, Any], valid: Any, template: dict[str, Any] | None
) -> list[Case]:
    cases: list[Case] = []
    for branch in _branches(schema, node):
        kind = branch.get("type")
        if template is not None:
            cases += template_cases(template)
        elif kind == "string" or "enum" in branch or "pattern" in branch:
            cases += string_cases(branch, valid)
        elif kind in ("integer", "number"):
            cases += number_cases(branch, kind == "integer")
        elif kind == "boolean":
            cases += [("type: string for a boolean", "true"), ("type: 1 for a boolean", 1)]
        elif kind == "array":
            cases += array_cases(schema, branch, valid)
        elif kind == "object" and "properties" not in branch:
            cases += map_cases(branch)
    return cases


def _fields(
    schema: dict[str, Any], node: dict[str, Any], document: Any, path: tuple[str, ...]
) -> Iterator[tuple[tuple[str, ...], dict[str, Any], Any]]:
    """(path, schema node, value in the document) of every property under an object the document has."""
    node = _resolve(schema, node)
    if not isinstance(document, dict):
        return
    for branch in _branches(schema, node):
        for name, child in branch.get("properties", {}).items():
            value = document.get(name)
            yield (*path, name), child, value
            if isinstance(value, dict):
                yield from _fields(schema, child, value, (*path, name))
            elif isinstance(value, list) and value and isinstance(value[0], dict):
                item_node = _branches(schema, child)[0].get("items", {})
                yield from _fields(schema, item_node, value[0], (*path, name, "0"))


def _set(document: Any, path: tuple[str, ...], value: Any) -> None:
    node = document
    for part in path[:-1]:
        node = node[int(part)] if isinstance(node, list) else node[part]
    if value is DROP:
        node.pop(path[-1], None)
    else:
        node[path[-1]] = value


def near_valid(kind: str, schema: dict[str, Any], bases: list[dict[str, Any]]) -> list[tuple[str, Any]]:
    """(label, document) for every field of every base at and just past each of its limits.

    A (field, case) pair is kept once, from the first base that has the field's parent."""
    templates = {
        limit.field: constraints(limit.operation, limit.member)
        for limit in limits_for(kind)
        if limit.rendered
    }
    seen: set[str] = set()
    found: list[tuple[str, Any]] = []
    for base in bases:
        for path, node, value in _fields(schema, schema, base, ()):
            dotted = ".".join(part if not part.isdigit() else "*" for part in path)
            cases = field_cases(schema, node, value, templates.get(dotted))
            required = path[-1] in _resolve_parent_required(schema, base, path)
            cases += [("required: missing" if required else "optional: absent", DROP), ("type: null", None)]
            for label, case in cases:
                key = f"{dotted}: {label}: {json.dumps(case, default=str)[:80]}"
                if key in seen:
                    continue
                seen.add(key)
                document = copy.deepcopy(base)
                _set(document, path, case)
                found.append((f"{dotted}: {label}", document))
        unknown = copy.deepcopy(base)
        unknown["unknown"] = 1
        found.append(("(top level): unknown key", unknown))
    return found


def _resolve_parent_required(schema: dict[str, Any], base: Any, path: tuple[str, ...]) -> list[str]:
    node: dict[str, Any] = schema
    document = base
    for part in path[:-1]:
        branch = _branches(schema, node)[0]
        node = branch.get("items", {}) if part.isdigit() else branch.get("properties", {}).get(part, {})
        document = document[int(part)] if isinstance(document, list) else document.get(part)
    return list(_branches(schema, node)[0].get("required", []))
