"""Scale: many pipelines started together in one account, against the builder quota and rate limits.

    .venv/bin/python -m benchmarks.scale [--runs 100] [--write]

All runs start at once in one local engine (shortened, proportional phases). The account
keeps AppStream's default quota of 10 image builders, and every Describe call the
workflow polls with is rate limited. Peak concurrent builders are sampled from the
emulator's inventory while the runs go; memory is the process's peak RSS over the whole
benchmark (tracemalloc would slow the runs several times over).

It fails (exit 1) when a run does not succeed, or when any task attempt meets AppStream's
builder quota (AppStreamQuotaExceeded): the builder slots exist so that none does. The peak
of concurrent builders is reported, not judged: the emulator enforces the quota itself.
"""

from __future__ import annotations

import argparse
import resource
import sys
import threading
import time

from benchmarks.fast import FAST_SETTINGS, fast_request, fast_scenario
from benchmarks.report import command_line, provenance, table, write_section
from functions.errors import QUOTA_ERRORS
from image_factory.local_engine.engine import LocalEngine
from image_factory.local_engine.execution import RunTimedOut

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
        statuses = []
        for execution in executions:
            try:
                statuses.append(execution.wait(max(deadline - time.monotonic(), 0.0)).status)
            except RunTimedOut:
                statuses.append("STUCK")
        sampler.stopped.set()
        sampler.join()
        wall = time.monotonic() - started
        task_errors = [
            event["taskFailedEventDetails"].get("error", "")
            for execution in executions
            for event in execution.history()
            if event["type"] == "TaskFailed"
        ]
        throttled = sum("Throttl" in error for error in task_errors)
        # The slots exist so that no run ever meets AppStream's builder quota: one that does is a failure.
        quota_errors = sum(error in QUOTA_ERROR_NAMES for error in task_errors)
        builders_left = len(engine.inventory()["image_builders"])
        slots = engine.builder_slots_in_use()
        quota = scenario.quotas.image_builders
    rss_peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    succeeded = statuses.count("SUCCEEDED")
    rows = [
        ["runs succeeded", f"{succeeded}/{args.runs}"],
        ["wall time, s", f"{wall:.0f}"],
        ["peak concurrent image builders (quota)", f"{sampler.peak} ({quota})"],
        ["throttled task attempts absorbed by Retry", str(throttled)],
        ["task attempts that met an AppStream quota (must be 0)", str(quota_errors)],
        ["builders left / slots held at the end", f"{builders_left} / {slots}"],
        ["peak RSS, MB", f"{rss_peak_mb:.0f}"],
    ]
    body = "\n\n".join(
        [
            provenance(command_line("scale")),
            f"{args.runs} `reference` runs started together; phases shortened to about a fifth "
            "(proportional); Describe*/GetExportImageTask/ListExportImageTasks limited to 2 calls/s "
            "(burst 5) on the simulated clock; the image quota raised to two images per run (each run "
            "keeps its imported image), the builder quota left at 10. Throttles botocore retried on its "
            "own stay inside a task "
            "and are not counted.",
            table(["measure", "value"], rows),
        ]
    )
    print(body)
    if args.write:
        write_section("Scale", body)
    return 0 if succeeded == args.runs and quota_errors == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
