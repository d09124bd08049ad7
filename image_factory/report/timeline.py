"""The run's phases as an SVG timeline: one bar per step, each check a tick, retries and the outcome.

Times are seconds since the run started (+H:MM), as everywhere else in the CLI: on the local
engine the clock is simulated, so a time of day would mislead.
"""

from __future__ import annotations

import itertools
from html import escape
from typing import Any

from image_factory.local_engine.formatting import clock, duration, plural
from image_factory.local_engine.outcome import simulated_epoch_of

WIDTH, LABEL, ROW, TOP = 1040, 110, 36, 30
PLOT = WIDTH - LABEL - 300  # room on the right for each row's note
COLOURS = {"SUCCEEDED": "#2e7d32", "FAILED": "#c62828", "RUNNING": "#1565c0", "CANCELLED": "#757575"}
AXIS_STEPS = (60, 300, 600, 900, 1800, 3600, 7200, 14400, 28800, 86400)


def timeline_svg(run: dict[str, Any]) -> str:
    steps = [step for step in run.get("steps", []) if simulated_epoch_of(step.get("started_at")) is not None]
    origin = simulated_epoch_of(run.get("started_at")) or _first_start(steps)
    span = max(_last_moment(run, steps) - origin, 1.0)

    def x(moment: float) -> float:
        return LABEL + (moment - origin) / span * PLOT

    height = TOP + ROW * len(steps) + 30
    parts = [
        f'<svg id="timeline" xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}" role="img" aria-label="timeline of run {escape(run["run_id"])}">',
        *_axis(span, height, x, origin),
    ]
    for row, step in enumerate(steps):
        parts += _step_row(step, TOP + row * ROW, x, origin, span)
    parts.append(_outcome_marker(run, x(origin + span), height))
    parts.append("</svg>")
    return "\n".join(parts)


def _step_row(step: dict[str, Any], y: float, x: Any, origin: float, span: float) -> list[str]:
    start = simulated_epoch_of(step.get("started_at")) or origin
    end = simulated_epoch_of(step.get("ended_at")) or origin + span
    colour = COLOURS.get(step["status"], "#757575")
    left, width = x(start), max(x(end) - x(start), 2.0)
    title = f"{step['step']}: {step['status']}, {clock(start - origin)} to {clock(end - origin)}"
    parts = [
        f'<g class="step" data-step="{escape(step["step"])}" data-status="{escape(step["status"])}">',
        f'<text x="{LABEL - 8}" y="{y + 17}" text-anchor="end" class="label">{escape(step["step"])}</text>',
        f'<rect x="{left:.1f}" y="{y + 4}" width="{width:.1f}" height="18" rx="3" fill="{colour}" '
        f'fill-opacity="0.35" stroke="{colour}"><title>{escape(title)}</title></rect>',
    ]
    for number, check in enumerate(step.get("checks") or [], start=1):
        at = simulated_epoch_of(check.get("at"))
        if at is None:
            continue
        seen = check.get("saw") or "nothing"
        parts.append(
            f'<line class="check" x1="{x(at):.1f}" x2="{x(at):.1f}" y1="{y + 1}" y2="{y + 25}" '
            f'stroke="#212121" stroke-width="1.5"><title>check {number} at {clock(at - origin)}: '
            f"saw {escape(str(seen))}</title></line>"
        )
    parts.append(
        f'<text x="{LABEL + PLOT + 10}" y="{y + 17}" class="note">{escape(_note(step))}</text>',
    )
    parts.append("</g>")
    return parts


def _note(step: dict[str, Any]) -> str:
    """What the row's bar cannot show: retries, checks, the longest wait, an error."""
    notes = []
    if step.get("attempts", 0) > 1:
        notes.append(f"retried: {plural(step['attempts'], 'attempt')}")
    checks = [simulated_epoch_of(check.get("at")) for check in step.get("checks") or []]
    moments = [moment for moment in checks if moment is not None]
    if step.get("polls"):
        notes.append(plural(step["polls"], "check"))
    if len(moments) > 1:
        longest = max(later - earlier for earlier, later in itertools.pairwise(moments))
        notes.append(f"waits up to {duration(longest)}")
    if step.get("error"):
        notes.append(step["error"]["code"])
    return ", ".join(notes) or step["status"].lower()


def _axis(span: float, height: float, x: Any, origin: float) -> list[str]:
    every = next((step for step in AXIS_STEPS if span / step <= 8), AXIS_STEPS[-1])
    parts = [f'<line x1="{LABEL}" x2="{LABEL + PLOT}" y1="{TOP - 6}" y2="{TOP - 6}" stroke="#9e9e9e"/>']
    tick = 0.0
    while tick <= span:
        at = x(origin + tick)
        parts.append(
            f'<line x1="{at:.1f}" x2="{at:.1f}" y1="{TOP - 6}" y2="{height - 24}" stroke="#eeeeee"/>'
            f'<text x="{at:.1f}" y="{TOP - 12}" text-anchor="middle" class="axis">{clock(tick)[:-3]}</text>'
        )
        tick += every
    return parts


def _outcome_marker(run: dict[str, Any], at: float, height: float) -> str:
    colour = COLOURS.get(run["status"], "#757575")
    return (
        f'<g id="outcome-marker"><line x1="{at:.1f}" x2="{at:.1f}" y1="{TOP - 6}" y2="{height - 20}" '
        f'stroke="{colour}" stroke-width="2"/><text x="{at:.1f}" y="{height - 6}" text-anchor="end" '
        f'fill="{colour}" class="label">{escape(run["status"])}</text></g>'
    )


def _first_start(steps: list[dict[str, Any]]) -> float:
    return min((simulated_epoch_of(step["started_at"]) or 0.0 for step in steps), default=0.0)


def _last_moment(run: dict[str, Any], steps: list[dict[str, Any]]) -> float:
    moments = [simulated_epoch_of(run.get("finished_at"))]
    for step in steps:
        moments += [simulated_epoch_of(step.get("started_at")), simulated_epoch_of(step.get("ended_at"))]
        moments += [simulated_epoch_of(check.get("at")) for check in step.get("checks") or []]
    return max((moment for moment in moments if moment is not None), default=0.0)
