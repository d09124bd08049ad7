"""A live view of running pipelines: one plain line per state entered and per step change.

Plain lines (no cursor control) read the same in a terminal, a CI log or a pipe.
Each line carries the simulated time since the engine started and, when several
runs share the engine, the run id.

The view looks at the runs after every task (the engine's `after_each` hook), so it sees each
check even when two come a few real milliseconds apart, and once more when a run ends (the
states after its last task). Each look reads the history before the records, so lines come
in time order.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TextIO

from image_factory.local_engine.execution import LocalExecution, RunTimedOut
from image_factory.local_engine.formatting import clock, duration, plural
from image_factory.local_engine.outcome import RunOutcome, simulated_epoch_of
from image_factory.local_engine.timewarp import SimulatedTime
from image_factory.local_engine.waiting import waiting_for

# Real time between two looks while no task runs: what is left then (a run's end) can wait a little.
_REFRESH_SECONDS = 0.05
_SHOWN_STATE_TYPES = ("Task", "Fail", "Succeed", "Parallel", "Map")


@dataclass
class _Seen:
    events: int = 0
    steps: dict[str, tuple[str, int]] = field(default_factory=dict)  # step -> (status, polls)


class ProgressView:
    def __init__(
        self,
        out: TextIO,
        clock_: SimulatedTime,
        show_run_ids: bool,
        origin: float | None = None,
        after_each_task: list[Callable[[], None]] | None = None,
    ) -> None:
        self._out = out
        self._time = clock_
        self._origin = origin  # simulated epoch times are counted from (default: the first start)
        self._show_run_ids = show_run_ids
        self._lock = threading.Lock()
        self._following: list[LocalExecution] = []
        self._seen: dict[str, _Seen] = {}
        self._pending: list[tuple[float, str, str]] = []  # (simulated epoch, run, text) not yet printed
        self._last_printed = 0.0
        # With the hook, runs are looked at between tasks only, never halfway through one's writes.
        self._hook = after_each_task
        if after_each_task is not None:
            after_each_task.append(self._look)

    def follow(self, executions: Sequence[LocalExecution], timeout: float) -> list[RunOutcome]:
        """Print progress until every execution ends; return their outcomes in order."""
        with self._lock:
            self._following = list(executions)
            for execution in executions:
                self._seen.setdefault(execution.arn, _Seen())
        outcomes: dict[str, RunOutcome] = {}
        deadline = time.monotonic() + timeout
        while len(outcomes) < len(executions):
            ended = [e for e in executions if e.arn not in outcomes and not e.is_running()]
            if ended or self._hook is None:
                self._look()  # after reading which ended, so their last events are in this look
            self._print_pending()
            for execution in ended:
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
        with self._lock:
            self._following = []
        return [outcomes[execution.arn] for execution in executions]

    def _look(self) -> None:
        with self._lock:
            for execution in self._following:
                lines = self._changes(execution, self._seen[execution.arn])
                self._pending += [
                    (at, execution.name, text) for at, text in sorted(lines, key=lambda line: line[0])
                ]

    def _print_pending(self) -> None:
        with self._lock:
            pending, self._pending = self._pending, []
        for at, run, text in pending:
            self._line(at, run, text)

    def _changes(self, execution: LocalExecution, seen: _Seen) -> list[tuple[float, str]]:
        events = execution.history()
        if len(events) == seen.events:
            return []  # step records change only when a task runs, which adds events
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
            lines += self._step_changes(step, seen)
        return lines

    def _step_changes(self, step: dict[str, Any], seen: _Seen) -> list[tuple[float, str]]:
        name, status, polls = str(step.get("step")), str(step.get("status")), int(step.get("polls", 0))
        previous = seen.steps.get(name)
        if previous == (status, polls):
            return []
        seen.steps[name] = (status, polls)
        texts = []
        if status == "RUNNING":
            if previous is None:
                texts.append(f"step   {name}: RUNNING")
            if polls:  # a step that checks as it starts (cleanup) is first seen with its first check
                texts.append(
                    f"step   {name}: check {polls}: {step.get('last_state', '-')}{_next_check(step)}"
                )
        elif status == "SUCCEEDED":
            checks = plural(polls, "check")
            texts.append(f"step   {name}: SUCCEEDED in {duration(step.get('duration_seconds'))}, {checks}")
        elif status == "FAILED":
            error = step.get("error") or {}
            texts.append(f"step   {name}: FAILED: {error.get('code', '?')}: {error.get('message', '')}")
        else:
            texts.append(f"step   {name}: {status}")
        moment = (
            step.get("ended_at") if status != "RUNNING" else step.get("updated_at") or step.get("started_at")
        )
        at = simulated_epoch_of(moment) or self._time.now()
        return [(at, text) for text in texts]

    def _line(self, at: float, run: str, text: str) -> None:
        # Records keep whole seconds, the history fractions: never print a time before one printed.
        self._last_printed = max(self._last_printed, at)
        prefix = f"{clock(self._last_printed - (self._origin or 0.0)):>10}  "
        if self._show_run_ids:
            prefix += f"{run:<18}  "
        print(prefix + text, file=self._out, flush=True)


def _next_check(step: dict[str, Any]) -> str:
    """When the step looks again, counted from this check, and what it waits for."""
    checked, following = (
        simulated_epoch_of(step.get("updated_at")),
        simulated_epoch_of(step.get("next_check_at")),
    )
    if checked is None or following is None:
        return ""
    reason = waiting_for(str(step.get("step")), step.get("resource"))
    return f"; next check in {duration(following - checked)}, waiting for {reason}"


def _ending(outcome: RunOutcome) -> str:
    if outcome.succeeded:
        return f"run    SUCCEEDED in {duration(outcome.duration_seconds)} (simulated)"
    error = outcome.error
    reason = f" at {error.step}: {error.code}: {error.message}" if error else ""
    return f"run    FAILED{reason}"
