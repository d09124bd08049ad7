"""Cloud cost and detection latency of waiting: the planner against a fixed 60 s poll.

    .venv/bin/python -m benchmarks.waiting [--runs 50] [--write]

Both variants run the same state machine, handlers and emulated account with the
reference timeline (import 45 min, validation 15, builder start 12, agent scripts 10,
snapshot 40, image publish 10, export 35; jitter +/-30%). The only difference is the
wait policy: the baseline pins every wait to 60 s (floor and longest step 60 s, expected
duration 1 min), as public samples poll. Runs go one after another under one pipeline
name, so the planner's expected durations come from the defaults for the first run and
from the history of the pipeline's successful runs after it.

Detection latency is the simulated time between a resource reaching its target state
(the emulator's phase ends) and the check task that saw it (the step's `ended_at`).
"""

from __future__ import annotations

import argparse
import copy
import sys
import time
from dataclasses import dataclass, field
from typing import Any

from appstream_emulator.account import PhaseEnd
from appstream_emulator.scenario import Scenario
from benchmarks.report import (
    command_line,
    median,
    number,
    percentile,
    provenance,
    table,
    write_section,
)
from functions import names
from image_factory.local_engine.engine import LocalEngine
from image_factory.local_engine.inputs import load_request_document
from image_factory.local_engine.outcome import simulated_epoch_of

REFERENCE_DURATIONS = {
    "import": 2700,
    "validation": 900,
    "builder_start": 720,
    "agent_job": 600,
    "snapshot": 2400,
    "image_publish": 600,
    "export": 2100,
}
JITTER = 0.3
BASELINE_POLL_SECONDS = 60
BASELINE_SETTINGS = {
    names.ENV_POLL_FLOOR_SECONDS: str(BASELINE_POLL_SECONDS),
    names.ENV_POLL_MAX_STEP_SECONDS: str(BASELINE_POLL_SECONDS),
    names.ENV_SLOT_POLL_SECONDS: str(BASELINE_POLL_SECONDS),
}
# An expected duration of one minute makes the planner's first wait its floor (60 s), and every
# later wait is capped at the longest step (60 s): a fixed 60 s poll through the same code path.
BASELINE_WAITS = {
    phase: {"expected_minutes": BASELINE_POLL_SECONDS / 60}
    for phase in ("import", "builder", "snapshot", "export", "cleanup")
}
HISTORY_SPLIT = 5  # runs before this one have little or no history to go by

# Step -> (where its resource name is, phases whose last end puts the resource in its target state).
DETECTED_PHASES: dict[str, tuple[str, str, frozenset[str]]] = {
    "import": ("import", "image_name", frozenset({"import_", "validation"})),
    "builder": ("builder", "builder_name", frozenset({"builder_start"})),
    "snapshot": ("snapshot", "image_name", frozenset({"image_publish"})),
    "export": ("export", "task_id", frozenset({"export"})),
    "cleanup": ("builder", "builder_name", frozenset({"builder_delete"})),
}


@dataclass
class RunFigures:
    succeeded: bool
    transitions: int
    lambda_invocations: int
    appstream_calls: int
    simulated_minutes: float
    detection_seconds: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Variant:
    label: str
    settings: dict[str, str]
    waits: dict[str, Any] | None


PLANNER = Variant("planner (history, no configured expectations)", {}, None)
BASELINE = Variant(f"baseline: fixed {BASELINE_POLL_SECONDS} s poll", BASELINE_SETTINGS, BASELINE_WAITS)


def reference_scenario(seed: int, runs: int) -> Scenario:
    # Each run keeps its imported image and makes one more: raise the image quota (50 by
    # default) so the account has room for every run of the benchmark.
    return Scenario.from_data(
        {
            "durations": REFERENCE_DURATIONS,
            "jitter": JITTER,
            "seed": seed,
            "quotas": {"images": 2 * runs + 10},
        }
    )


def request_for(variant: Variant) -> dict[str, Any]:
    _, document = load_request_document("reference")
    document = copy.deepcopy(dict(document))
    if variant.waits is not None:
        document["waits"] = variant.waits
    return document


def detection_seconds(steps: list[dict[str, Any]], phase_ends: list[PhaseEnd]) -> dict[str, float]:
    """Per step: when its check saw the target state minus when the resource reached it."""
    by_step = {str(step.get("step")): step for step in steps}
    latencies: dict[str, float] = {}
    for step_name, (resource_step, key, phases) in DETECTED_PHASES.items():
        step = by_step.get(step_name)
        subject = (by_step.get(resource_step, {}).get("resource") or {}).get(key)
        observed = simulated_epoch_of(step.get("ended_at")) if step else None
        reached = [end.at for end in phase_ends if end.subject == subject and end.phase in phases]
        if observed is not None and subject and reached:
            # `ended_at` has whole seconds: the check can appear up to 1 s before the change.
            latencies[step_name] = max(0.0, observed - max(reached))
    return latencies


def run_variant(variant: Variant, runs: int, seed: int, time_scale: float) -> list[RunFigures]:
    figures: list[RunFigures] = []
    request = request_for(variant)
    with LocalEngine(
        reference_scenario(seed, runs), time_scale=time_scale, settings=variant.settings
    ) as engine:
        for _ in range(runs):
            lambdas_before = engine.invoker.invocation_count
            calls_before = sum(engine.emulator.call_counts.values())
            execution = engine.start(request)
            outcome = execution.wait(600)
            _, steps = execution.records()
            figures.append(
                RunFigures(
                    succeeded=outcome.succeeded,
                    transitions=outcome.state_transitions,
                    lambda_invocations=engine.invoker.invocation_count - lambdas_before,
                    appstream_calls=sum(engine.emulator.call_counts.values()) - calls_before,
                    simulated_minutes=outcome.duration_seconds / 60,
                    detection_seconds=detection_seconds(steps, engine.emulator.phase_ends()),
                )
            )
    return figures


def summary_row(label: str, figures: list[RunFigures]) -> list[object]:
    def both(values: list[float], digits: int = 0) -> str:
        return f"{number(median(values), digits)} / {number(percentile(values, 0.9), digits)}"

    latencies = [value for run in figures for value in run.detection_seconds.values()]
    return [
        label,
        f"{sum(run.succeeded for run in figures)}/{len(figures)}",
        both([run.transitions for run in figures]),
        both([run.lambda_invocations for run in figures]),
        both([run.appstream_calls for run in figures]),
        both(latencies),
        both([run.simulated_minutes for run in figures]),
    ]


SUMMARY_HEADER = [
    "wait policy",
    "succeeded",
    "state transitions / run (median / p90)",
    "Lambda invocations / run",
    "AppStream calls / run",
    "detection latency, s (median / p90)",
    "run duration, simulated min",
]


def per_phase_rows(results: dict[str, list[RunFigures]]) -> list[list[object]]:
    rows: list[list[object]] = []
    for step in DETECTED_PHASES:
        row: list[object] = [step]
        for figures in results.values():
            values = [run.detection_seconds[step] for run in figures if step in run.detection_seconds]
            row.append(f"{number(median(values))} / {number(percentile(values, 0.9))}")
        rows.append(row)
    return rows


def render(results: dict[str, list[RunFigures]], runs: int, time_scale: float, elapsed: float) -> str:
    planner, baseline = results[PLANNER.label], results[BASELINE.label]
    ratio = median([r.transitions for r in planner]) / median([r.transitions for r in baseline])
    latency = median([v for r in planner for v in r.detection_seconds.values()])
    split = min(HISTORY_SPLIT, len(planner))
    history_rows = [
        summary_row(f"planner, runs 1-{split} (default expectations, then little history)", planner[:split]),
        summary_row(f"planner, runs {split + 1}-{len(planner)} (history of the pipeline)", planner[split:]),
    ]
    verdict_transitions = "met" if ratio <= 0.25 else "missed"
    verdict_latency = "met" if latency <= 60 else "missed"
    return "\n\n".join(
        [
            provenance(command_line("waiting")),
            f"{runs} runs per wait policy of the `reference` request, one after another, reference "
            f"timeline with +/-{JITTER:.0%} jitter, time scale {time_scale:g} ({elapsed:.0f} s real "
            "for the whole benchmark). Figures per run: median / p90.",
            table(SUMMARY_HEADER, [summary_row(label, figures) for label, figures in results.items()]),
            f"Planner / baseline state transitions (medians): **{ratio:.0%}** (target <= 25%: "
            f"{verdict_transitions}); planner median detection latency **{latency:.0f} s** "
            f"(target <= 60 s: {verdict_latency}).",
            "Detection latency per step, simulated seconds (median / p90):",
            table(["step", *results], per_phase_rows(results)),
            "Effect of history (planner only):",
            table(SUMMARY_HEADER, history_rows),
            "Detection latency is simulated seconds from a resource reaching its state to the check "
            "that saw it; the local engine's own processing takes no simulated time.",
        ]
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50, help="runs per wait policy (default 50)")
    parser.add_argument("--seed", type=int, default=2026, help="seed of the emulator's durations")
    parser.add_argument("--time-scale", type=float, default=3000, help="simulated seconds per real second")
    parser.add_argument("--write", action="store_true", help="replace the section in docs/BENCHMARKS.md")
    args = parser.parse_args()
    started = time.monotonic()
    results = {
        variant.label: run_variant(variant, args.runs, args.seed, args.time_scale)
        for variant in (PLANNER, BASELINE)
    }
    body = render(results, args.runs, args.time_scale, time.monotonic() - started)
    print(body)
    if args.write:
        write_section("Cost and detection latency of waiting", body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
