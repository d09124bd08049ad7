"""A live view of running pipelines: one plain line per state entered and per step change.

Plain lines (no cursor control) read the same in a terminal, a CI log or a pipe.
Each line carries the simulated time since the engine started and, when several
runs share the engine, the run id.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, TextIO

from image_factory.local_engine.execution import LocalExecution, RunTimedOut
from image_factory.local_engine.formatting import clock, duration
from image_factory.local_engine.outcome import RunOutcome, simulated_epoch_of
from image_factory.local_engine.timewarp import SimulatedTime

# Real time between two looks at the runs. Looking costs the runs time too (the GIL, the
# table), so the view looks often enough to keep lines in order, and no more.
_REFRESH_SECONDS = 0.05
_SHOWN_STATE_TYPES = ("Task", "Fail", "Succeed", "Parallel", "Map")


@dataclass
class _Seen:
    events: int = 0
    steps: dict[str, tuple[str, int]] = field(default_factory=dict)  # step -> (status, polls)
    done: bool = False


class ProgressView:
    def __init__(
        self, out: TextIO, clock_: SimulatedTime, show_run_ids: bool, origin: float | None = None
    ) -> None:
        self._out = out
        self._time = clock_
        self._origin = origin  # simulated epoch times are counted from (default: the first start)
        self._show_run_ids = show_run_ids

    def follow(self, executions: Sequence[LocalExecution], timeout: float) -> list[RunOutcome]:
        """Print progress until every execution ends; return their outcomes in order."""
        seen = {execution.arn: _Seen() for execution in executions}
        outcomes: dict[str, RunOutcome] = {}
        deadline = time.monotonic() + timeout
        while len(outcomes) < len(executions):
            for execution in executions:
                if execution.arn in outcomes:
                    continue
                running = execution.is_running()  # read before the history, so nothing is missed
                self._show(execution, seen[execution.arn])
                if not running:
                    outcome = execution.outcome()
                    self._line(outcome.ended_at, execution.name, _ending(outcome))
                    outcomes[execution.arn] = outcome
            if len(outcomes) < len(executions):
                if time.monotonic() >= deadline:
                    for execution in executions:
                        if execution.arn not in outcomes:
                            execution.stop(f"did not finish within {timeout:.0f} real seconds")
                    raise RunTimedOut(f"runs did not finish within {timeout:.0f} real seconds")
                time.sleep(_REFRESH_SECONDS)
        return [outcomes[execution.arn] for execution in executions]

    def _show(self, execution: LocalExecution, seen: _Seen) -> None:
        events = execution.history()
        if len(events) == seen.events:
            return  # step records change only when a task runs, which adds events
        if self._origin is None:  # count from the first execution's ExecutionStarted event
            self._origin = self._time.simulated_epoch(events[0]["timestamp"])
        lines: list[tuple[float, str]] = []
        for event in events[seen.events :]:
            kind: str = event["type"]
            if kind.endswith("StateEntered") and kind.removesuffix("StateEntered") in _SHOWN_STATE_TYPES:
                name = event["stateEnteredEventDetails"]["name"]
                lines.append((self._time.simulated_epoch(event["timestamp"]), f"state  {name}"))
        seen.events = len(events)
        _, steps = execution.records()
        for step in steps:
            line = self._step_change(step, seen)
            if line is not None:
                lines.append(line)
        for at, text in sorted(lines, key=lambda line: line[0]):
            self._line(at, execution.name, text)

    def _step_change(self, step: dict[str, Any], seen: _Seen) -> tuple[float, str] | None:
        name, status, polls = str(step.get("step")), str(step.get("status")), int(step.get("polls", 0))
        previous = seen.steps.get(name)
        if previous == (status, polls):
            return None
        seen.steps[name] = (status, polls)
        if status == "RUNNING" and previous is not None and previous[0] == "RUNNING":
            text = f"step   {name}: check {polls}: {step.get('last_state', '-')}"
        elif status == "SUCCEEDED":
            text = f"step   {name}: SUCCEEDED in {duration(step.get('duration_seconds'))}, {polls} checks"
        elif status == "FAILED":
            error = step.get("error") or {}
            text = f"step   {name}: FAILED: {error.get('code', '?')}: {error.get('message', '')}"
        else:
            text = f"step   {name}: {status}"
        moment = (
            step.get("ended_at") if status != "RUNNING" else step.get("updated_at") or step.get("started_at")
        )
        return simulated_epoch_of(moment) or self._time.now(), text

    def _line(self, at: float, run: str, text: str) -> None:
        prefix = f"{clock(at - (self._origin or 0.0)):>10}  "
        if self._show_run_ids:
            prefix += f"{run:<18}  "
        print(prefix + text, file=self._out, flush=True)


def _ending(outcome: RunOutcome) -> str:
    if outcome.succeeded:
        return f"run    SUCCEEDED in {duration(outcome.duration_seconds)} (simulated)"
    error = outcome.error
    reason = f" at {error.step}: {error.code}: {error.message}" if error else ""
    return f"run    FAILED{reason}"
