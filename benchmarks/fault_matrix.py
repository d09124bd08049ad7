"""Fault matrix: every AppStream operation the workflow calls x common errors, and every phase FAILED.

    .venv/bin/python -m benchmarks.fault_matrix [--only SUBSTRING] [--write]

Each case is one run of the `reference` request (shortened phases) in a fresh engine
whose scenario injects the fault, once or on every call. A case passes when the run ends
(SUCCEEDED or FAILED), its DynamoDB record says the same as the execution, no image
builder is left in the account, and the builder-slot counter is back to zero.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from appstream_emulator.service_model import INJECTABLE_COMMON_ERRORS, modelled_errors
from benchmarks.fast import FAST_SETTINGS, fast_request, fast_scenario
from benchmarks.report import command_line, provenance, table, write_section
from image_factory.local_engine.engine import LocalEngine
from image_factory.local_engine.execution import RunTimedOut

ERRORS = (
    "ThrottlingException",
    "InternalFailure",
    "ConcurrentModificationException",
    "LimitExceededException",
)
FAILING_RESOURCES = ("imported_image", "image_builder", "agent_job", "image", "export_task")
RUN_TIMEOUT = 120.0  # real seconds; a fast run takes a few


@dataclass(frozen=True)
class Case:
    label: str
    faults: list[dict[str, Any]]


@dataclass(frozen=True)
class CaseResult:
    case: Case
    status: str  # SUCCEEDED | FAILED | STUCK
    recorded: bool
    builders_left: int
    slots_in_use: int
    error: str

    @property
    def passed(self) -> bool:
        return self.status != "STUCK" and self.recorded and self.builders_left == 0 and self.slots_in_use == 0


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


def run_case(case: Case) -> CaseResult:
    with LocalEngine(fast_scenario(faults=case.faults), settings=FAST_SETTINGS) as engine:
        execution = engine.start(fast_request())
        try:
            outcome = execution.wait(RUN_TIMEOUT)
        except RunTimedOut:
            return CaseResult(case, "STUCK", False, len(engine.inventory()["image_builders"]), -1, "")
        record = outcome.record or {}
        recorded = (
            record.get("status") == outcome.status and record.get("execution_arn") == outcome.execution_arn
        )
        error = f"{outcome.error.step}: {outcome.error.code}" if outcome.error else ""
        return CaseResult(
            case,
            outcome.status,
            recorded,
            len(engine.inventory()["image_builders"]),
            engine.builder_slots_in_use(),
            error,
        )


def render(results: list[CaseResult]) -> str:
    rows = [
        [
            result.case.label,
            result.status,
            result.error or "-",
            "yes" if result.recorded else "**no**",
            result.builders_left,
            result.slots_in_use,
            "pass" if result.passed else "**FAIL**",
        ]
        for result in results
    ]
    passed = sum(result.passed for result in results)
    terminal = sum(result.status != "STUCK" and result.recorded for result in results)
    leftovers = sum(result.builders_left + max(result.slots_in_use, 0) for result in results)
    return "\n\n".join(
        [
            provenance(command_line("fault_matrix")),
            f"**{passed}/{len(results)} cases pass**; terminal and recorded: {terminal}/{len(results)}; "
            f"leftover builders + held slots over all cases: {leftovers} (target: 100%, 0).",
            table(["case", "run", "error", "record matches", "builders left", "slots held", "verdict"], rows),
        ]
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
        print(f"{case.label}: {results[-1].status}", file=sys.stderr)
    body = render(results)
    print(body)
    if args.write:
        write_section("Fault matrix", body)
    return 0 if all(result.passed for result in results) else 1


if __name__ == "__main__":
    sys.exit(main())
