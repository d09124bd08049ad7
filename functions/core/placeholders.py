"""`{pipeline}`, `{date}` and `{run}` in names a person writes in a pipeline request.

A run id can begin with the words a name puts before it: the run API names a run
`<pipeline>-<date>-<time>-<hex>`, so `{pipeline}-{date}-{run}` would say the pipeline and the
date twice. `{run}` therefore shares those leading words with the text just before it: the
name still holds the run id's date, time and digest whole (so it stays unique and the same on
every retry of the run), and its words only once. A long pipeline name is shortened in the run
id to its first words; those are shared the same way.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

PLACEHOLDERS = ("pipeline", "date", "run")
_FIELD = re.compile(r"\{([^{}]*)\}")
_SEPARATORS = "-_."
RUN_NAME_PREFIX = 18  # of the pipeline or job name (or key), so a run id stays under 40 characters


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
            text += _rest_of_run(text, values.run, values.pipeline)
        elif name == "date" and values.date in re.split(f"[{re.escape(_SEPARATORS)}]", text):
            text = text[:-1] if text[-1:] in _SEPARATORS else text
        else:
            text += known.get(name, match.group(0))
        position = match.end()
    return text + template[position:]


def _rest_of_run(before: str, run: str, pipeline: str) -> str:
    """`run` without its leading words that `before` already ends with (whole words only).

    A run id named after a long pipeline begins with the pipeline's first words only
    (`office-desktop-20261203-...` for `office-desktop-updates`): read with the whole name, its
    leading words are shared too.
    """
    rest = _shared_tail(before, run)
    short = _short_name_of(pipeline, run)
    if rest == run and short:
        whole = pipeline + run[len(short) :]
        shared = _shared_tail(before, whole)
        rest = shared if shared != whole else run
    return rest


def _short_name_of(pipeline: str, run: str) -> str | None:
    """The shortened pipeline name `run` starts with, when the run API shortened it."""
    short = run_name_prefix(pipeline)
    return short if short != pipeline and run.startswith(short + "-") else None


def run_name_prefix(name: str) -> str:
    """What a run id keeps of a pipeline or job name: at most RUN_NAME_PREFIX characters, cut at
    a word's end where it has one (`office-desktop` of `office-desktop-updates`)."""
    if len(name) <= RUN_NAME_PREFIX:
        return name
    cut = max(name.rfind(separator, 0, RUN_NAME_PREFIX + 1) for separator in _SEPARATORS)
    return name[:cut] if cut > 0 else name[:RUN_NAME_PREFIX]


def _shared_tail(before: str, run: str) -> str:
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
