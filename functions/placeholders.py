"""`{pipeline}`, `{date}` and `{run}` in names a person writes in a pipeline request.

A run id can begin with the words a name puts before it: the run API names a run
`<pipeline>-<date>-<time>-<hex>`, so `{pipeline}-{date}-{run}` would say the pipeline and the
date twice. `{run}` therefore shares those leading words with the text just before it: the
name still holds the whole run id (so it stays unique and the same on every retry of the run),
only once.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

PLACEHOLDERS = ("pipeline", "date", "run")
_FIELD = re.compile(r"\{([^{}]*)\}")
_SEPARATORS = "-_."


@dataclass(frozen=True)
class NameValues:
    pipeline: str
    date: str  # YYYYMMDD of the run's start
    run: str  # the run id


def unknown_placeholders(template: str) -> list[str]:
    return [name for name in _FIELD.findall(template) if name not in PLACEHOLDERS]


def render(template: str, values: NameValues, others: Mapping[str, str] | None = None) -> str:
    """Substitute the placeholders (and `others`, e.g. an export's `{image}`); unknown ones are left
    for validation to report.

    A `{date}` the text before it already holds as a word (an `{image}` made by a run of that day)
    is left out, with its separator, as `{run}` leaves out the words it shares.
    """
    known = {"pipeline": values.pipeline, "date": values.date, **(others or {})}
    text, position = "", 0
    for match in _FIELD.finditer(template):
        text += template[position : match.start()]
        name = match.group(1)
        if name == "run":
            text += _rest_of_run(text, values.run)
        elif name == "date" and values.date in re.split(f"[{re.escape(_SEPARATORS)}]", text):
            text = text[:-1] if text[-1:] in _SEPARATORS else text
        else:
            text += known.get(name, match.group(0))
        position = match.end()
    return text + template[position:]


def _rest_of_run(before: str, run: str) -> str:
    """`run` without its leading words that `before` already ends with (whole words only)."""
    words = run.split("-")
    for count in range(len(words) - 1, 0, -1):  # at least the last word stays
        lead = "-".join(words[:count]) + "-"
        start = len(before) - len(lead)
        if before.endswith(lead) and (start == 0 or before[start - 1] in _SEPARATORS):
            return "-".join(words[count:])
    return run


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
