"""How the deployment checks a stored pipeline request before any run uses it.

Two checks, each reported as `<field path>: <problem>`:
* the workflow's own validation (`functions.workflows.image_pipeline.request.parse_request`, or
  another workflow's) accepts it;
* every IAM role ARN in it is one of the passable roles (configured, or created by the stack),
  since those are the only roles the workflow is allowed to pass to AppStream.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Container, Iterable, Iterator
from typing import Any

from functions.workflows.image_pipeline.request import parse_request

_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/")


def validate_request(
    request: dict[str, Any], passable_roles: Container[str], parse: Callable[[Any], Any] = parse_request
) -> Iterator[str]:
    """`parse` is the workflow's request validation (the image pipeline's unless another is given)."""
    parsed = parse(request)
    if isinstance(parsed, list):
        for problem in parsed:
            yield f".{problem.field}: {problem.message}"
    for location, value in strings(request):
        if _ROLE_ARN.match(value) and value not in passable_roles:
            yield (
                f"{_suffix(location)}: role {value} is not one of roles.* in this file, nor a role "
                "the stack creates for one left out (the workflow may pass only those to AppStream)"
            )


def strings(value: Any, location: tuple[int | str, ...] = ()) -> Iterator[tuple[tuple[int | str, ...], str]]:
    """(location, value) of every string in a JSON-like document; a location is keys and indexes."""
    if isinstance(value, str):
        yield location, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from strings(item, (*location, str(key)))
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from strings(item, (*location, index))


def _suffix(location: Iterable[int | str]) -> str:
    return "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in location)
