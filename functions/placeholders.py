"""`{pipeline}`, `{date}` and `{run}` in names a person writes in a pipeline request."""

from __future__ import annotations

import re
from dataclasses import dataclass

PLACEHOLDERS = ("pipeline", "date", "run")
_FIELD = re.compile(r"\{([^{}]*)\}")


@dataclass(frozen=True)
class NameValues:
    pipeline: str
    date: str  # YYYYMMDD of the run's start
    run: str  # the run id


def unknown_placeholders(template: str) -> list[str]:
    return [name for name in _FIELD.findall(template) if name not in PLACEHOLDERS]


def render(template: str, values: NameValues) -> str:
    """Substitute the placeholders; unknown ones are left for validation to report."""
    known = {"pipeline": values.pipeline, "date": values.date, "run": values.run}
    return _FIELD.sub(lambda match: known.get(match.group(1), match.group(0)), template)


def check_template(template: str, pattern: re.Pattern[str], what: str) -> str:
    """Reject unknown placeholders and characters `what` may not contain (ValueError names them)."""
    unknown = unknown_placeholders(template)
    if unknown:
        allowed = ", ".join("{" + name + "}" for name in PLACEHOLDERS)
        raise ValueError(f"unknown placeholder(s) {', '.join('{' + n + '}' for n in unknown)}; use {allowed}")
    sample = render(template, NameValues(pipeline="p", date="20260101", run="r"))
    if not pattern.fullmatch(sample):
        raise ValueError(f"not a valid {what} (allowed: {pattern.pattern})")
    return template
