"""The report page: the run's outcome, its timeline, its steps, what it made, its counters and cost.

One file that loads nothing: styles inline, the timeline an inline SVG, and a Content Security
Policy that forbids every fetch, so the page reads the same offline, attached to a ticket.
"""

from __future__ import annotations

from html import escape
from typing import Any

from image_factory.costs import RunCost
from image_factory.local_engine.formatting import duration
from image_factory.local_engine.outcome import simulated_epoch_of
from image_factory.remote.run_view import left_behind
from image_factory.report.timeline import COLOURS, timeline_svg

STYLE = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 24px; color: #212121; }
h1 { font-size: 20px; margin: 0 0 4px; } h2 { font-size: 16px; margin: 24px 0 8px; }
.status { color: #fff; padding: 2px 8px; border-radius: 4px; font-weight: 600; }
table { border-collapse: collapse; }
td, th { text-align: left; padding: 3px 12px 3px 0; vertical-align: top; }
#steps th { border-bottom: 1px solid #bdbdbd; } .error { color: #c62828; }
svg text { font: 12px system-ui, sans-serif; } svg .axis { fill: #757575; font-size: 11px; }
svg .note { fill: #424242; }
"""
POLICY = "default-src 'none'; style-src 'unsafe-inline'"


def report_html(
    run: dict[str, Any],
    counters: dict[str, Any] | None = None,
    cost: RunCost | None = None,
) -> str:
    """`run` in the API's shape; `counters` from the local engine when the run was local."""
    title = f"Run {run['run_id']}: {run['status']}"
    sections = [
        _headline(run),
        "<h2>Timeline</h2>",
        timeline_svg(run),
        "<h2>Steps</h2>",
        _steps_table(run.get("steps", [])),
        '<h2>Resources</h2><table id="resources">' + _rows(_resources(run)) + "</table>",
    ]
    left = left_behind(run)
    if left:
        items = "".join(f"<li>{escape(line)}</li>" for line in left)
        sections.append(f'<h2>Left behind</h2><ul id="left-behind">{items}</ul>')
    if counters:
        rows = [
            (name.replace("_", " "), value) for name, value in counters.items() if not isinstance(value, dict)
        ]
        sections.append('<h2>Counters</h2><table id="counters">' + _rows(rows) + "</table>")
    if cost is not None:
        rows = [(item.what, f"{item.quantity}: {_amount(item.amount)}") for item in cost.items]
        rows.append(("total", f"{cost.total:.2f} {cost.currency}"))
        sections.append('<h2>Cost</h2><table id="cost">' + _rows(rows) + "</table>")
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{POLICY}">'
        f"<title>{escape(title)}</title><style>{STYLE}</style></head>\n<body>\n"
        + "\n".join(sections)
        + "\n</body></html>\n"
    )


def _headline(run: dict[str, Any]) -> str:
    colour = COLOURS.get(run["status"], "#757575")
    started, finished = simulated_epoch_of(run.get("started_at")), simulated_epoch_of(run.get("finished_at"))
    took = f", in {duration(finished - started)}" if started is not None and finished is not None else ""
    workflow = run.get("workflow") or "image-pipeline"
    lines = [
        f'<h1>Run {escape(run["run_id"])} <span id="outcome" class="status" style="background:{colour}">'
        f"{escape(run['status'])}</span></h1>",
        f"<div>{escape(workflow)} <b>{escape(str(run.get('pipeline', '-')))}</b>, started "
        f"{escape(str(run.get('started_at') or '-'))}{took}; times count from the start (+H:MM)</div>",
    ]
    error = run.get("error")
    if error:
        lines.append(
            f'<p class="error" id="run-error">failed at {escape(error["step"])}: '
            f"{escape(error['code'])}: {escape(error['message'])}</p>"
        )
    return "\n".join(lines)


def _steps_table(steps: list[dict[str, Any]]) -> str:
    names = ("step", "status", "attempts", "checks", "duration", "last seen")
    header = "<tr>" + "".join(f"<th>{name}</th>" for name in names) + "</tr>"
    rows = []
    for step in steps:
        error = step.get("error")
        seen = f"{error['code']}: {error['message']}" if error else step.get("last_state") or ""
        cells = [step["step"], step["status"], step.get("attempts", 0), step.get("polls", 0)]
        cells += [duration(step.get("duration_seconds")), seen]
        rows.append("<tr>" + "".join(f"<td>{escape(str(cell))}</td>" for cell in cells) + "</tr>")
    return f'<table id="steps">{header}{"".join(rows)}</table>'


def _resources(run: dict[str, Any]) -> list[tuple[str, Any]]:
    rows: list[tuple[str, Any]] = []
    for phase, made in (run.get("resources") or {}).items():
        if isinstance(made, dict):
            rows += [
                (f"{phase}.{key}", value) for key, value in made.items() if value not in (None, "", [], {})
            ]
        else:
            rows.append((phase, made))
    return rows


def _rows(rows: list[tuple[str, Any]]) -> str:
    def cell(value: Any) -> str:
        return (
            "<br>".join(escape(str(item)) for item in value)
            if isinstance(value, list)
            else escape(str(value))
        )

    return "".join(f"<tr><th>{escape(name)}</th><td>{cell(value)}</td></tr>" for name, value in rows)


def _amount(amount: float | None) -> str:
    return "unknown" if amount is None else f"{amount:.4f}"
