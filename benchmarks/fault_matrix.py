"""Fault matrix: AppStream errors on every call the workflow makes, every phase FAILED, task crashes.

Every AppStream operation the workflow calls x common errors, every phase's resource
ending FAILED, and a task crashing right after each create call succeeded.

    .venv/bin/python -m benchmarks.fault_matrix [--only SUBSTRING] [--write]

Each case is one run of the `reference` request (shortened phases) in a fresh engine
whose scenario injects the fault, once or on every call. A case passes when the run ends
(SUCCEEDED or FAILED), its DynamoDB record says the same as the execution, no image
builder is left in the account, and the builder-slot counter is back to zero. A builder
AppStream refuses to delete on every try cannot be gone: such a case is reported apart,
as "left, recorded as left" when the run's cause and its cleanup step name the builder,
and as a failure when nothing says it is still there.

A crash case wraps the service function a task uses so that its process "dies" (an
unexpected exception) right after the create call succeeded, once: the case passes when
Step Functions' replay adopts what the first attempt created (one resource, no twin) and
the run succeeds.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from unittest import mock

from appstream_emulator.service_model import INJECTABLE_COMMON_ERRORS, modelled_errors
from benchmarks.fast import FAST_SETTINGS, fast_request, fast_scenario
from benchmarks.report import command_line, provenance, table, write_section
from image_factory.local_engine.engine import LocalEngine
from image_factory.local_engine.execution import LocalExecution, RunTimedOut

ERRORS = (
    "ThrottlingException",
    "InternalFailure",
    "ConcurrentModificationException",
    "LimitExceededException",
)
FAILING_RESOURCES = ("imported_image", "image_builder", "agent_job", "image", "export_task")
RUN_TIMEOUT = 120.0  # real seconds; a fast run takes a few


@dataclass(frozen=True)
class Crash:
    """A task's process dies once, right after `creation` succeeded (the wrapped `module.attribute`)."""

    creation: str  # the create call: an AppStream action name, or what the wrapped function makes
    module: str
    attribute: str


# AppStream creates go through `appstream.call`; the agent job is the snapshot's "create".
CRASHES = (
    Crash("CreateImportedImage", "functions.services.appstream", "call"),
    Crash("CreateImageBuilder", "functions.services.appstream", "call"),
    Crash("PutObject agent job", "functions.services.snapshots", "_write_job"),
    Crash("CreateExportImageTask", "functions.services.appstream", "call"),
)


@dataclass(frozen=True)
class Case:
    label: str
    faults: list[dict[str, Any]]
    crash: Crash | None = None


@dataclass(frozen=True)
class CaseResult:
    case: Case
    status: str  # SUCCEEDED | FAILED | STUCK
    recorded: bool
    builders_left: list[str]  # "name (STATE)"
    slots_in_use: int
    error: str
    left_recorded: bool = False  # every builder left is named in the run's cause and its cleanup step
    created: int | None = None  # crash cases: how many resources the create calls made
    crashed: bool = False  # crash cases: the task did crash after a creation

    @property
    def verdict(self) -> str:
        if self.status == "STUCK" or not self.recorded:
            return "FAIL"
        clean = not self.builders_left and self.slots_in_use == 0
        if self.case.crash is not None:
            adopted = self.crashed and self.status == "SUCCEEDED" and self.created == 1
            return "pass, adopted" if adopted and clean else "FAIL"
        if clean:
            return "pass"
        if self.left_recorded and self.slots_in_use == 0:
            return "left, recorded as left"
        return "FAIL"

    @property
    def passed(self) -> bool:
        return self.verdict.startswith("pass")


def operations_called() -> list[str]:
    """The AppStream operations a clean run calls (and cleanup after a failed builder)."""
    called: set[str] = set()
    for scenario in (fast_scenario(), fast_scenario(faults=[{"resource": "image_builder"}])):
        with LocalEngine(scenario, settings=FAST_SETTINGS) as engine:
            engine.run(fast_request(), timeout=RUN_TIMEOUT)
            called |= set(engine.emulator.call_counts)
    return sorted(called)


def cases(operations: list[str]) -> Iterator[Case]:
    for operation in operations:
        possible = modelled_errors(operation) | set(INJECTABLE_COMMON_ERRORS)
        for error in (error for error in ERRORS if error in possible):
            yield Case(f"{operation} {error} once", [{"operation": operation, "error": error}])
            persistent = {"operation": operation, "error": error, "times": None}
            yield Case(f"{operation} {error} always", [persistent])
    for resource in FAILING_RESOURCES:
        yield Case(f"{resource} ends FAILED", [{"resource": resource}])
    yield Case("export_task ends TIMED_OUT", [{"resource": "export_task", "outcome": "TIMED_OUT"}])
    for crash in CRASHES:
        yield Case(f"task crashes after {crash.creation} succeeded", [], crash)


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
        if self.crash.attribute != "call":
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


def run_case(case: Case) -> CaseResult:
    with (
        LocalEngine(fast_scenario(faults=case.faults), settings=FAST_SETTINGS) as engine,
        injected(case.crash) as injector,
    ):
        execution = engine.start(fast_request())
        try:
            outcome = execution.wait(RUN_TIMEOUT)
        except RunTimedOut:
            return CaseResult(case, "STUCK", False, builders_left(engine), -1, "")
        record = outcome.record or {}
        recorded = (
            record.get("status") == outcome.status and record.get("execution_arn") == outcome.execution_arn
        )
        left = builders_left(engine)
        return CaseResult(
            case,
            outcome.status,
            recorded,
            left,
            engine.builder_slots_in_use(),
            f"{outcome.error.step}: {outcome.error.code}" if outcome.error else "",
            left_recorded=bool(left) and named_as_left(execution, engine),
            created=injector.created if injector else None,
            crashed=bool(injector and injector.crashed),
        )


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


def render(results: list[CaseResult]) -> str:
    rows = [
        [
            result.case.label,
            result.status,
            result.error or "-",
            "yes" if result.recorded else "**no**",
            leftover_cell(result),
            result.slots_in_use,
            "-" if result.created is None else result.created,
            result.verdict if result.passed else f"**{result.verdict}**",
        ]
        for result in results
    ]
    header = ["case", "run", "error", "record matches", "builders left", "slots held", "created", "verdict"]
    return "\n\n".join(
        [provenance(command_line("fault_matrix")), summary(results), LEGEND, table(header, rows)]
    )


LEGEND = (
    '"created": in a crash case, how many resources the create calls made (1: the replay adopted it, '
    'no twin). "left, recorded as left": AppStream refused every delete, so the builder is left '
    "STOPPED and named in the run's cause and cleanup step, for a person or the retention reaper."
)


def leftover_cell(result: CaseResult) -> str:
    if not result.builders_left:
        return "0"
    note = "recorded as left" if result.left_recorded else "**unrecorded**"
    return f"{len(result.builders_left)}: {', '.join(result.builders_left)}, {note}"


def summary(results: list[CaseResult]) -> str:
    passed = sum(result.passed for result in results)
    adopted = sum(result.verdict == "pass, adopted" for result in results)
    crashes = sum(result.case.crash is not None for result in results)
    terminal = sum(result.status != "STUCK" and result.recorded for result in results)
    left = [result for result in results if result.builders_left]
    recorded_left = sum(len(result.builders_left) for result in left if result.left_recorded)
    unrecorded_left = sum(len(result.builders_left) for result in left if not result.left_recorded)
    slots = sum(max(result.slots_in_use, 0) for result in results)
    return (
        f"**{passed}/{len(results)} cases pass** (crash cases adopted by the replay: {adopted}/{crashes}); "
        f"terminal and recorded: {terminal}/{len(results)}; builders left: {recorded_left + unrecorded_left} "
        f"({recorded_left} recorded as left, {unrecorded_left} unrecorded); "
        f"slots held: {slots} (target: 100%, 0)."
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="", help="run only cases whose label contains this")
    parser.add_argument("--write", action="store_true", help="replace the section in docs/BENCHMARKS.md")
    args = parser.parse_args()
    selected = [case for case in cases(operations_called()) if args.only in case.label]
    results = []
    for case in selected:
        results.append(run_case(case))
        print(f"{case.label}: {results[-1].status} ({results[-1].verdict})", file=sys.stderr)
    body = render(results)
    print(body)
    if args.write:
        write_section("Fault matrix", body)
    return 0 if all(result.passed for result in results) else 1


if __name__ == "__main__":
    sys.exit(main())
