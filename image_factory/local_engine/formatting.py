"""Plain-text building blocks of the CLI's reports: counts, durations and aligned tables.

Every duration a person reads goes through `duration`, so one format is used everywhere.
"""

from __future__ import annotations

from collections.abc import Sequence


def plural(count: int, noun: str) -> str:
    """1 check, 2 checks."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def duration(seconds: float | None) -> str:
    """A simulated duration for people: 42s, 12m 05s, 2h 51m."""
    if seconds is None:
        return "-"
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes:02d}m"
    if minutes:
        return f"{minutes}m {secs:02d}s"
    return f"{secs}s"


def clock(seconds: float) -> str:
    """Simulated time since the engine started, as +H:MM:SS."""
    whole = max(int(seconds), 0)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"+{hours}:{minutes:02d}:{secs:02d}"


def table(header: Sequence[str], rows: Sequence[Sequence[object]], indent: str = "  ") -> str:
    cells = [[str(value) for value in header], *[[str(value) for value in row] for row in rows]]
    widths = [max(len(row[column]) for row in cells) for column in range(len(header))]
    lines = [
        "  ".join(value.ljust(width) for value, width in zip(row, widths, strict=True)).rstrip()
        for row in cells
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(indent + line for line in lines)
