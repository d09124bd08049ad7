"""Fault matrix: every workflow under AppStream errors, failed resources and crashes, judged as derived.

    .venv/bin/python -m benchmarks.fault_matrix [--workflow NAME] [--only SUBSTRING] [--json] [--write]

The cases and how each outcome is derived: benchmarks/fault_cases.py and
benchmarks/fault_expectations.py. A case passes when the run ends as derived (status, error
name, and who retried: nobody, botocore inside the task, or the state machine's Retry), its
DynamoDB record says the same as the execution, the builder-slot counter is back to zero, and
no image builder is left, unless AppStream refused every delete and the run's cause and its
cleanup step name the builder as left. A crash case also needs the replay to have adopted
what the first attempt created (one resource, no twin). Exit code 1 when a case fails.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter

from benchmarks.fault_cases import Case, all_cases
from benchmarks.fault_expectations import BOTOCORE_MAX_ATTEMPTS
from benchmarks.fault_runs import CaseResult, run_case
from benchmarks.fault_subjects import SUBJECTS
from benchmarks.report import command_line, provenance, table, write_section

LEGEND = (
    "Expected outcomes are derived per case, never written down: the first state to call the faulted "
    "operation, the first retrier of its `Retry` matching the error's ASL name, and botocore's attempts "
    f"per call ({BOTOCORE_MAX_ATTEMPTS} for the errors it retries: the client's `max_attempts` counts "
    "retries after the first call, `functions/core/clients.py`); a failed Map item and cleanup's passes as "
    'benchmarks/fault_subjects.py describes them. "retried by": who absorbed the failures (expected / '
    "observed). "
    '"created": in a crash case, how many resources the create calls made (1: the replay adopted it, '
    "no twin). A builder left is acceptable only when AppStream refused every delete and the run's cause "
    "and cleanup step name it, for a person or the retention reaper."
)


def selected(workflow: str | None, only: str) -> list[Case]:
    workflows = [workflow] if workflow else None
    return [case for case in all_cases(workflows) if only in f"{case.workflow} {case.label}"]


def render(results: list[CaseResult], elapsed: float) -> str:
    rows = [
        [
            result.case.workflow,
            result.case.label,
            _outcome(result.case.expected.status, result.case.expected.error),
            _outcome(result.observed.status, result.observed.error),
            f"{result.case.expected.retried_by} / {result.observed.retried_by}",
            "yes" if result.record_matches else "**no**",
            _leftover(result),
            result.slots_held,
            "-" if result.created is None else result.created,
            "pass" if result.passed else "**FAIL**",
        ]
        for result in results
    ]
    header = [
        "workflow",
        "case",
        "expected",
        "observed",
        "retried by",
        "record matches",
        "builders left",
        "slots held",
        "created",
        "verdict",
    ]
    return "\n\n".join(
        [provenance(command_line("fault_matrix")), summary(results, elapsed), LEGEND, table(header, rows)]
    )


def _outcome(status: str, error: str | None) -> str:
    return f"{status} {error}" if error else status


def _leftover(result: CaseResult) -> str:
    if not result.builders_left:
        return "0"
    note = "recorded as left" if result.builders_left_recorded else "**unrecorded**"
    return f"{len(result.builders_left)}: {', '.join(result.builders_left)}, {note}"


def summary(results: list[CaseResult], elapsed: float) -> str:
    passed = sum(result.passed for result in results)
    failed = [f"{result.case.workflow}: {result.case.label}" for result in results if not result.passed]
    by_retrier = Counter(result.observed.retried_by for result in results if result.passed)
    absorbed = ", ".join(f"{name} {count}" for name, count in sorted(by_retrier.items()))
    workflows = len({result.case.workflow for result in results})
    line = (
        f"**{passed}/{len(results)} cases pass** over {workflows} workflows in {elapsed:.0f} s "
        f"(passing cases retried by: {absorbed or '-'})."
    )
    return line + (f" Failed: {'; '.join(failed)}." if failed else "")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workflow", choices=[item.workflow for item in SUBJECTS], help="one workflow only")
    parser.add_argument("--only", default="", help="run only cases whose workflow and label contain this")
    parser.add_argument("--json", action="store_true", help="print the cases as JSON")
    parser.add_argument("--write", action="store_true", help="replace the section in docs/BENCHMARKS.md")
    args = parser.parse_args()
    started = time.monotonic()
    results = []
    for case in selected(args.workflow, args.only):
        results.append(run_case(case))
        verdict = "pass" if results[-1].passed else "FAIL"
        print(f"{case.workflow}: {case.label}: {results[-1].observed} ({verdict})", file=sys.stderr)
    elapsed = time.monotonic() - started
    body = render(results, elapsed)
    if args.write:
        write_section("Fault matrix", body)
    if args.json:
        print(json.dumps({"cases": [result.to_document() for result in results]}, indent=2))
    else:
        print(body)
    return 0 if all(result.passed for result in results) else 1


if __name__ == "__main__":
    sys.exit(main())
