"""What every benchmark shares: percentiles, Markdown tables, and its section in docs/BENCHMARKS.md."""

from __future__ import annotations

import datetime as dt
import math
import os
import platform
import re
import statistics
import sys
from collections.abc import Sequence
from pathlib import Path

BENCHMARKS_DOC = Path(__file__).resolve().parent.parent / "docs" / "BENCHMARKS.md"
DOC_HEADER = """# Benchmarks

Measured figures of the image factory: cost and latency of waiting, Lambda cold start,
scale, and fault tolerance. Every section names the command that produced it, the machine
and the date; `make bench` reruns them all with their defaults, and each benchmark
replaces its own section with `--write`. Simulated seconds come from the local engine's
clock (the real state machine on moto's interpreter, AppStream from the emulator).
"""


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values)) if values else math.nan


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile (p90: the value 90% of the runs stay at or below)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return float(ordered[max(0, math.ceil(fraction * len(ordered)) - 1)])


def number(value: float, digits: int = 0) -> str:
    if math.isnan(value):
        return "-"
    return f"{value:,.{digits}f}"


def table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def machine() -> str:
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return f"{cores} cores, {platform.machine()}, Python {platform.python_version()}, {platform.system()}"


def provenance(command: str) -> str:
    today = dt.datetime.now(dt.UTC).date().isoformat()
    return f"Command: `{command}` - machine: {machine()} - date: {today}."


def command_line(module: str) -> str:
    arguments = " ".join(sys.argv[1:])
    return f".venv/bin/python -m benchmarks.{module}" + (f" {arguments}" if arguments else "")


def write_section(title: str, body: str, path: Path = BENCHMARKS_DOC) -> None:
    """Replace the `## title` section (up to the next `## `) or append it."""
    text = path.read_text(encoding="utf-8") if path.exists() else DOC_HEADER
    section = f"## {title}\n\n{body.strip()}\n\n"
    pattern = re.compile(rf"^## {re.escape(title)}\n.*?(?=^## |\Z)", re.DOTALL | re.MULTILINE)
    if pattern.search(text):
        text = pattern.sub(lambda _: section, text, count=1)
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.write_text(text.rstrip("\n") + "\n", encoding="utf-8")
