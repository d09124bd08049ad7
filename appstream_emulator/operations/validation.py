"""Request checks botocore's client-side validation leaves to the service.

botocore checks required members, types and minimum lengths; AppStream itself also
enforces maximum lengths, patterns, enums and numeric ranges and answers with a
ValidationException that names each offending member. This module walks a request
against its input shape and raises exactly that.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import cache
from typing import Any

from botocore.model import ListShape, MapShape, Shape, StringShape, StructureShape

from ..errors import AppStreamError
from ..service_model import operation_model

# Python's `re` has no Unicode property classes; inside the model's character classes
# these stand-ins accept the same letters, digits and separators (plus "_", which every
# such class in the model allows anyway).
_UNICODE_PROPERTIES = {r"\p{L}": r"\w", r"\p{N}": r"\w", r"\p{Z}": r"\s"}


@cache
def compile_pattern(pattern: str) -> re.Pattern[str]:
    for prop, replacement in _UNICODE_PROPERTIES.items():
        pattern = pattern.replace(prop, replacement)
    # `$` would also accept a trailing newline; the service does not.
    if pattern.endswith("$") and not pattern.endswith(r"\$"):
        pattern = pattern[:-1] + r"\Z"
    return re.compile(pattern)


def validate_request(operation: str, params: dict[str, Any]) -> None:
    problems: list[str] = []
    input_shape = operation_model(operation).input_shape
    if input_shape is not None:
        _check(input_shape, params, "", problems)
    if problems:
        count = len(problems)
        noun = "error" if count == 1 else "errors"
        raise AppStreamError(
            "ValidationException", f"{count} validation {noun} detected: " + "; ".join(problems)
        )


def response_problems(operation: str, result: dict[str, Any]) -> list[str]:
    """Where `result` strays from the operation's output shape (unknown members included); [] if nowhere."""
    problems: list[str] = []
    output_shape = operation_model(operation).output_shape
    if output_shape is not None:
        _check(output_shape, result, "", problems, strict=True)
    elif result:
        problems.append("the operation returns no members")
    return problems


def _shown(value: Any, shape: Shape) -> str:
    return "***" if shape.serialization.get("sensitive") or shape.metadata.get("sensitive") else f"{value}"


def _fail(problems: list[str], value: Any, path: str, shape: Shape, constraint: str) -> None:
    problems.append(
        f"Value '{_shown(value, shape)}' at '{path}' failed to satisfy constraint: Member must {constraint}"
    )


def _check_range(
    size: int | float, value: Any, path: str, shape: Shape, what: str, problems: list[str]
) -> None:
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    if low is not None and size < low:
        _fail(problems, value, path, shape, f"have {what} greater than or equal to {low}")
    if high is not None and size > high:
        _fail(problems, value, path, shape, f"have {what} less than or equal to {high}")


def _check(shape: Shape, value: Any, path: str, problems: list[str], strict: bool = False) -> None:
    if value is None:
        return
    kind = shape.type_name
    if isinstance(shape, StructureShape):
        if not isinstance(value, dict):
            _fail(problems, value, path, shape, "be a structure")
            return
        for member in shape.required_members:
            if value.get(member) is None:
                problems.append(
                    f"Value null at '{_join(path, member)}' failed to satisfy constraint: "
                    "Member must not be null"
                )
        for name, member_shape in shape.members.items():
            if name in value:
                _check(member_shape, value[name], _join(path, name), problems, strict)
        if strict:
            problems.extend(
                f"unknown member '{_join(path, name)}'" for name in value if name not in shape.members
            )
    elif isinstance(shape, ListShape):
        if not isinstance(value, list):
            _fail(problems, value, path, shape, "be a list")
            return
        _check_range(len(value), value, path, shape, "length", problems)
        for index, item in enumerate(value):
            _check(shape.member, item, f"{path}.{index + 1}", problems, strict)
    elif isinstance(shape, MapShape):
        if not isinstance(value, dict):
            _fail(problems, value, path, shape, "be a map")
            return
        _check_range(len(value), value, path, shape, "length", problems)
        for key, item in value.items():
            _check(shape.key, key, f"{path}.key", problems, strict)
            _check(shape.value, item, f"{path}.{key}", problems, strict)
    elif isinstance(shape, StringShape):
        if not isinstance(value, str):
            _fail(problems, value, path, shape, "be a string")
            return
        _check_range(len(value), value, path, shape, "length", problems)
        if shape.enum and value not in shape.enum:
            _fail(problems, value, path, shape, f"satisfy enum value set: [{', '.join(shape.enum)}]")
        pattern = shape.metadata.get("pattern")
        if pattern and not compile_pattern(pattern).search(value):
            _fail(problems, value, path, shape, f"satisfy regular expression pattern: {pattern}")
    elif kind in ("integer", "long"):
        if isinstance(value, bool) or not isinstance(value, int):
            _fail(problems, value, path, shape, "be an integer")
            return
        _check_range(value, value, path, shape, "value", problems)
    elif kind in ("double", "float"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            _fail(problems, value, path, shape, "be a number")
    elif kind == "boolean":
        if not isinstance(value, bool):
            _fail(problems, value, path, shape, "be a boolean")
    elif kind == "timestamp" and not isinstance(value, dt.datetime | int | float):
        _fail(problems, value, path, shape, "be a timestamp")


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def missing_member(path: str) -> AppStreamError:
    """A member the API reference requires and the model leaves optional, refused like a null required one."""
    return AppStreamError(
        "ValidationException",
        f"1 validation error detected: Value null at '{path}' failed to satisfy constraint: "
        "Member must not be null",
    )


def documented_violation(path: str, value: Any, constraint: str) -> AppStreamError:
    """A value breaking a constraint only the API reference gives, worded as a modelled constraint is."""
    return AppStreamError(
        "ValidationException",
        f"1 validation error detected: Value '{value}' at '{path}' failed to satisfy constraint: "
        f"Member must {constraint}",
    )


def out_of_range(path: str, value: int, low: int, high: int) -> AppStreamError:
    bound = f"greater than or equal to {low}" if value < low else f"less than or equal to {high}"
    return documented_violation(path, value, f"have value {bound}")
