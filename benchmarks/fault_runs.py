"""One fault-matrix case, run: what the run did, and whether that is what was derived for it.

Each case is one run in a fresh engine whose scenario injects the fault. Who retried is read
from the run itself: from the log of its AppStream calls (benchmarks/fault_calls.py) or, for a
crash, from its history (a Task state attempted more than once).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from unittest import mock

from benchmarks.fault_calls import Call, call_log, retried_by
from benchmarks.fault_cases import Case
from benchmarks.fault_subjects import Crash, subject
from image_factory.local_engine.engine import LocalEngine
from image_factory.local_engine.execution import LocalExecution, RunTimedOut
from image_factory.local_engine.history import state_visits

RUN_TIMEOUT = 120.0  # real seconds; a fast run takes a few


@dataclass(frozen=True)
class Observed:
    status: str  # SUCCEEDED | FAILED | STUCK
    error: str | None
    retried_by: str


@dataclass(frozen=True)
class CaseResult:
    case: Case
    observed: Observed
    record_matches: bool
    builders_left: list[str]  # "name (STATE)"
    builders_left_recorded: bool  # every builder left is named in the run's cause and its cleanup step
    slots_held: int
    created: int | None = None  # crash cases: how many resources the create calls made

    @property
    def passed(self) -> bool:
        expected = self.case.expected
        outcome = (self.observed.status, self.observed.error, self.observed.retried_by)
        clean = not self.builders_left or self.builders_left_recorded
        adopted = self.case.crash is None or self.created == 1
        return (
            outcome == (expected.status, expected.error, expected.retried_by)
            and self.record_matches
            and clean
            and self.slots_held == 0
            and adopted
        )

    def to_document(self) -> dict[str, Any]:
        expected = self.case.expected
        return {
            "workflow": self.case.workflow,
            "label": self.case.label,
            "expected": {"status": expected.status, "error": expected.error},
            "observed": {"status": self.observed.status, "error": self.observed.error},
            "record_matches": self.record_matches,
            "builders_left": self.builders_left,
            "builders_left_recorded": self.builders_left_recorded,
            "slots_held": self.slots_held,
            # null: nobody retried (the fault was not retryable, or nothing failed).
            "retried_by": _or_null(self.observed.retried_by),
            "expected_retried_by": _or_null(expected.retried_by),
            "pass": self.passed,
        }


def _or_null(retried_by: str) -> str | None:
    return None if retried_by == "none" else retried_by


def run_case(case: Case) -> CaseResult:
    with (
        subject(case.workflow).engine(case.faults) as engine,
        injected(case.crash) as injector,
        call_log(engine) as log,
    ):
        execution = engine.start(subject(case.workflow).request())
        try:
            outcome = execution.wait(RUN_TIMEOUT)
        except RunTimedOut:
            observed = Observed("STUCK", None, retried(case, log, execution))
            created = injector.created if injector else None
            return CaseResult(case, observed, False, builders_left(engine), False, -1, created)
        record = outcome.record or {}
        recorded = (
            record.get("status") == outcome.status and record.get("execution_arn") == outcome.execution_arn
        )
        left = builders_left(engine)
        observed = Observed(
            outcome.status, outcome.error.code if outcome.error else None, retried(case, log, execution)
        )
        return CaseResult(
            case,
            observed,
            recorded,
            left,
            bool(left) and named_as_left(execution, engine),
            engine.builder_slots_in_use(),
            injector.created if injector else None,
        )


def retried(case: Case, log: list[Call], execution: LocalExecution) -> str:
    """Who retried the faulted operation's failed calls; for a crash, whether a Task was tried again."""
    if case.operation is not None:
        return retried_by(log, case.operation)
    visits = state_visits(execution.history())
    return "state-machine" if any(visit.task_attempts > 1 for visit in visits) else "none"


def builders_left(engine: LocalEngine) -> list[str]:
    return [f"{builder['name']} ({builder['state']})" for builder in engine.inventory()["image_builders"]]


def named_as_left(execution: LocalExecution, engine: LocalEngine) -> bool:
    """Whether the run's cause and its cleanup step both say each builder left is still present."""
    cause = str(execution.describe().get("cause", ""))
    _, steps = execution.records()
    cleanup = next((step for step in steps if step.get("step") == "cleanup"), {})
    step_error = str((cleanup.get("error") or {}).get("message", ""))
    names = [builder["name"] for builder in engine.inventory()["image_builders"]]
    return all(
        "still present" in text and f"image builder {name!r}" in text
        for name in names
        for text in (cause, step_error)
    )


@dataclass
class CrashInjector:
    """Wraps a function so the task crashes once after `crash.creation` succeeded; counts creations."""

    crash: Crash
    created: int = 0
    crashed: bool = field(default=False)

    def wrap(self, original: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            result = original(*args, **kwargs)
            if self._is_creation(args):
                self.created += 1
                if not self.crashed:
                    self.crashed = True
                    raise RuntimeError(f"the task's process died after {self.crash.creation} succeeded")
            return result

        return wrapper

    def _is_creation(self, args: tuple[Any, ...]) -> bool:
        if self.crash.attribute not in ("call", "ec2_call"):
            return True  # the wrapped function is the creation itself
        action = str(args[0]) if args else ""
        return action.startswith(f"{self.crash.creation} ") and "(dry run)" not in action


@contextmanager
def injected(crash: Crash | None) -> Iterator[CrashInjector | None]:
    if crash is None:
        yield None
        return
    module = importlib.import_module(crash.module)
    injector = CrashInjector(crash)
    with mock.patch.object(module, crash.attribute, injector.wrap(getattr(module, crash.attribute))):
        yield injector
