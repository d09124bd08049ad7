"""Scale: many pipelines started together in one account, against the builder quota and rate limits.

    .venv/bin/python -m benchmarks.scale [--runs 100] [--write]

All runs start at once in one local engine (shortened, proportional phases). The account
keeps AppStream's default quota of 10 image builders, and every Describe call the
workflow polls with is rate limited. Peak concurrent builders are sampled from the
emulator's inventory while the runs go; memory is the process's peak RSS over the whole
benchmark (tracemalloc would slow the runs several times over).

It fails (exit 1) when a run does not succeed, or when any task attempt meets AppStream's
builder quota (AppStreamQuotaExceeded at CreateImageBuilder): the builder slots exist so that
none does. Other quotas a task meets (the concurrent exports, an assumed limit in
docs/emulator-fidelity.md) are waited out by the state machine's Retry: they are counted per
operation, and fail the benchmark only through a run that does not succeed. The peak of
concurrent builders is reported, not judged: the emulator enforces the quota itself.

It also reports the Lambda throttles the stack's reserved concurrency would cause
(`settings.task_concurrency`, reserved per task function; null leaves them unreserved). The
local engine stamps each invocation's start and end on the simulated clock, which stands
still while a handler works: on AWS an invocation holds one of its function's concurrency
slots from its start until its end plus the handler's own run time (taken as measured here,
on two shared cores, so longer than on Lambda). Per function, the peak of invocations in
flight at once, and how many would have found every reserved slot taken (Lambda rejects
those with a throttle; the state machine's Retry would call again later, which the count
leaves out: each is a first attempt).
"""

from __future__ import annotations

import argparse
import heapq
import json
import resource
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.fast import FAST_SETTINGS, fast_request, fast_scenario
from benchmarks.report import command_line, provenance, table, write_section
from functions.core.errors import QUOTA_ERRORS
from image_factory.local_engine.engine import LocalEngine
from image_factory.local_engine.execution import RunTimedOut
from image_factory.local_engine.lambdas import Invocation
from stacks.config import load_config

EXAMPLE_CONFIG = Path(__file__).resolve().parent.parent / "stacks" / "pipelines.example.yaml"
RESERVED = (2, 5, 10)  # reserved concurrencies reported besides the example configuration's

RATE_LIMITS = {
    operation: {"per_second": 2.0, "burst": 5}
    for operation in ("DescribeImages", "DescribeImageBuilders", "GetExportImageTask", "ListExportImageTasks")
}
RUN_TIMEOUT = 1800.0  # real seconds for all runs together
SAMPLE_SECONDS = 0.05
QUOTA_ERROR_NAMES = {error.__name__ for error in QUOTA_ERRORS}


class BuilderSampler(threading.Thread):
    """Samples how many image builders exist (any state) until stopped; keeps the peak."""

    def __init__(self, engine: LocalEngine) -> None:
        super().__init__(daemon=True)
        self.engine = engine
        self.peak = 0
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(SAMPLE_SECONDS):
            self.peak = max(self.peak, len(self.engine.inventory()["image_builders"]))


@dataclass(frozen=True)
class Interval:
    """One invocation in flight from `start` until `end` (seconds on one clock)."""

    start: float
    end: float


def peak_concurrency(intervals: Iterable[Interval]) -> int:
    """The most intervals in flight at one instant (one that ends as another starts frees its slot)."""
    edges = sorted(
        [(interval.start, 1) for interval in intervals] + [(interval.end, -1) for interval in intervals],
        key=lambda edge: (edge[0], edge[1]),
    )
    peak = in_flight = 0
    for _, change in edges:
        in_flight += change
        peak = max(peak, in_flight)
    return peak


def throttled(intervals: Iterable[Interval], reserved: int | None) -> int:
    """Invocations that would find all `reserved` slots taken (None: unreserved, never throttled).

    In order of start, each invocation takes a slot if one is free; a throttled one holds none.
    """
    if reserved is None:
        return 0
    ends: list[float] = []  # of the invocations holding a slot
    count = 0
    for interval in sorted(intervals, key=lambda interval: (interval.start, interval.end)):
        while ends and ends[0] <= interval.start:
            heapq.heappop(ends)
        if len(ends) >= reserved:
            count += 1
        else:
            heapq.heappush(ends, interval.end)
    return count


def invocation_intervals(invocations: Iterable[Invocation]) -> dict[str, list[Interval]]:
    """Function name -> its invocations' time in flight on AWS (see the module's note)."""
    by_function: dict[str, list[Interval]] = defaultdict(list)
    for invocation in invocations:
        by_function[invocation.function_name].append(
            Interval(invocation.started_at, invocation.ended_at + invocation.real_seconds)
        )
    return dict(by_function)


def reserved_label(reserved: int | None) -> str:
    return "unreserved" if reserved is None else str(reserved)


def throttle_table(
    intervals: Mapping[str, Sequence[Interval]], reservations: Sequence[int | None]
) -> tuple[list[str], list[list[str]]]:
    """Header and rows: per function, its invocations, peak in flight and throttles per reservation."""
    header = [
        "function",
        "invocations",
        "peak in flight",
        *(f"throttled at {reserved_label(reserved)}" for reserved in reservations),
    ]
    rows = [
        [
            name,
            str(len(taken)),
            str(peak_concurrency(taken)),
            *(str(throttled(taken, reserved)) for reserved in reservations),
        ]
        for name, taken in sorted(intervals.items(), key=lambda item: (-peak_concurrency(item[1]), item[0]))
    ]
    everything = [interval for taken in intervals.values() for interval in taken]
    rows.append(
        [
            "all task functions",
            str(len(everything)),
            "",
            *(
                str(sum(throttled(taken, reserved) for taken in intervals.values()))
                for reserved in reservations
            ),
        ]
    )
    return header, rows


# The quotas no task may ever meet: the builder slots hand out only what the quota allows.
GUARDED_BY_SLOTS = ("CreateImageBuilder",)


def quota_errors(histories: Iterable[Sequence[Mapping[str, Any]]]) -> Counter[str]:
    """Operation -> failed task attempts that met an AppStream quota there.

    A task's error message starts with the AppStream operation it called
    ("CreateExportImageTask 'name': LimitExceededException: ...").
    """
    found: Counter[str] = Counter()
    for history in histories:
        for event in history:
            details = event.get("taskFailedEventDetails", {})
            if event["type"] == "TaskFailed" and details.get("error") in QUOTA_ERROR_NAMES:
                try:
                    message = str(json.loads(details.get("cause") or "{}").get("errorMessage", ""))
                except ValueError:
                    message = ""
                found[message.split(" ", 1)[0] or "(unknown operation)"] += 1
    return found


def failures(statuses: Sequence[str], quotas_met: Mapping[str, int]) -> list[str]:
    """Why the benchmark fails: runs that did not succeed, and a quota the builder slots guard met."""
    found = []
    unfinished = len(statuses) - statuses.count("SUCCEEDED")
    if unfinished:
        found.append(f"{unfinished} of {len(statuses)} runs did not succeed")
    guarded = sum(quotas_met.get(operation, 0) for operation in GUARDED_BY_SLOTS)
    if guarded:
        found.append(f"{guarded} task attempts met the image builder quota")
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100, help="pipelines started together (default 100)")
    parser.add_argument("--write", action="store_true", help="replace the section in docs/BENCHMARKS.md")
    args = parser.parse_args()
    # Each run keeps its imported image and makes one more: an account running this many
    # pipelines at once needs its image quota raised (AppStream's default is far lower).
    scenario = fast_scenario(rate_limits=RATE_LIMITS, quotas={"images": 2 * args.runs + 10})
    started = time.monotonic()
    with LocalEngine(scenario, settings=FAST_SETTINGS) as engine:
        sampler = BuilderSampler(engine)
        sampler.start()
        executions = [engine.start(fast_request()) for _ in range(args.runs)]
        deadline = started + RUN_TIMEOUT
        statuses, unsuccessful = [], []
        for execution in executions:
            try:
                outcome = execution.wait(max(deadline - time.monotonic(), 0.0))
            except RunTimedOut:
                statuses.append("STUCK")
                unsuccessful.append(f"{execution.name}: still running at the benchmark's deadline")
                continue
            statuses.append(outcome.status)
            if outcome.status != "SUCCEEDED":
                error = outcome.error
                why = f"{error.step}: {error.code}: {error.message}" if error else "no error recorded"
                unsuccessful.append(f"{outcome.run_id}: {why}")
        sampler.stopped.set()
        sampler.join()
        wall = time.monotonic() - started
        histories = [execution.history() for execution in executions]
        task_errors = [
            event["taskFailedEventDetails"].get("error", "")
            for history in histories
            for event in history
            if event["type"] == "TaskFailed"
        ]
        throttled = sum("Throttl" in error for error in task_errors)
        quotas_met = quota_errors(histories)
        builders_left = len(engine.inventory()["image_builders"])
        intervals = invocation_intervals(engine.invoker.invocations)
        slots = engine.builder_slots_in_use()
        quota = scenario.quotas.image_builders
    rss_peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    succeeded = statuses.count("SUCCEEDED")
    rows = [
        ["runs succeeded", f"{succeeded}/{args.runs}"],
        ["wall time, s", f"{wall:.0f}"],
        ["peak concurrent image builders (quota)", f"{sampler.peak} ({quota})"],
        ["throttled task attempts absorbed by Retry", str(throttled)],
        [
            "task attempts that met the image builder quota (must be 0)",
            str(sum(quotas_met.get(operation, 0) for operation in GUARDED_BY_SLOTS)),
        ],
        [
            "task attempts that met another quota, waited out by Retry",
            ", ".join(
                f"{operation} {count}"
                for operation, count in sorted(quotas_met.items())
                if operation not in GUARDED_BY_SLOTS
            )
            or "0",
        ],
        ["builders left / slots held at the end", f"{builders_left} / {slots}"],
        ["peak RSS, MB", f"{rss_peak_mb:.0f}"],
    ]
    configured = load_config(EXAMPLE_CONFIG).settings.task_concurrency
    reservations = [configured, *(reserved for reserved in RESERVED if reserved != configured)]
    throttle_header, throttle_rows = throttle_table(intervals, reservations)
    failed = failures(statuses, quotas_met)
    parts = [
        provenance(command_line("scale")),
        f"{args.runs} `reference` runs started together; phases shortened to about a fifth "
        "(proportional); Describe*/GetExportImageTask/ListExportImageTasks limited to 2 calls/s "
        "(burst 5) on the simulated clock; the image quota raised to two images per run (each run "
        "keeps its imported image), the builder quota left at 10. Throttles botocore retried on its "
        "own stay inside a task "
        "and are not counted.",
        table(["measure", "value"], rows),
        "Lambda throttles that reserved concurrency would cause (`settings.task_concurrency`, "
        f"reserved per task function; the example configuration's: {reserved_label(configured)}). "
        "Each invocation holds a slot from its start on the simulated clock until its end plus "
        "the handler's run time as measured here (longer than on Lambda: the runs share two "
        "cores); a throttled invocation is counted once, as a first attempt (the state machine "
        "would retry it later, which is not simulated).",
        table(throttle_header, throttle_rows),
        "Verdict: " + ("**passed**." if not failed else f"**failed**: {'; '.join(failed)}."),
    ]
    if unsuccessful:
        parts.append("Runs that did not succeed:\n\n" + "\n".join(f"* {line}" for line in unsuccessful))
    body = "\n\n".join(parts)
    print(body)
    if args.write:
        write_section("Scale", body)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
