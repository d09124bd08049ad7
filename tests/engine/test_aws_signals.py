"""The waits resume on the signals AWS sends, and polling still sees the change without them.

The snapshot's wait resumes on S3's "Object Created" for the agent's result when the agent's job
failed, the export's on EC2's "EC2 AMI State Change". Both are sent best effort: the scenario's
`assumptions.aws_events` delivers them, drops them or delays them (docs/emulator-fidelity.md).
Whatever it does, the run ends the same.
"""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

import pytest

from benchmarks.waiting import DETECTED_PHASES, detection_latencies
from image_factory.local_engine import aws_signals
from image_factory.local_engine.engine import LocalEngine
from image_factory.local_engine.inputs import load_scenario
from tests.engine.pipeline_support import fast_engine, fast_request, fast_scenario
from tests.engine.test_lifecycle_summary import RUN_TIMEOUT, example

pytestmark = pytest.mark.slow
EXPORT = list(DETECTED_PHASES).index("export")


def _waits(engine: LocalEngine) -> Counter[tuple[str, str]]:
    """How each wait for a token ended, by its state: resumed by the token, or timed out (the polling net)."""
    ended: Counter[tuple[str, str]] = Counter()
    for execution in engine.executions:
        state = ""
        for event in execution.history():
            state = (event.get("stateEnteredEventDetails") or {}).get("name", state)
            details = event.get("taskSucceededEventDetails") or event.get("taskTimedOutEventDetails") or {}
            if "waitForTaskToken" in str(details.get("resource", "")):
                ended[state, "resumed" if event["type"] == "TaskSucceeded" else "timed_out"] += 1
    return ended


def _run(reading: str) -> tuple[Any, Counter[tuple[str, str]], float | None, LocalEngine]:
    with fast_engine(fast_scenario(assumptions={"aws_events": reading})) as engine:
        outcome = engine.run(fast_request("reference"))
        execution = engine.executions[0]
        _, steps = execution.records()
        latency = detection_latencies(steps, engine.emulator.phase_ends())[EXPORT]
        return outcome, _waits(engine), latency, engine


def test_the_export_wait_resumes_when_ec2_says_the_ami_is_available() -> None:
    outcome, waits, latency, engine = _run("delivered")

    assert outcome.status == "SUCCEEDED", outcome.error
    assert waits["WaitForExport", "resumed"] == 1
    # The agent's job succeeded: the snapshot comes next, and its wait keeps its plan.
    assert waits["WaitForSnapshot", "resumed"] == 0
    s3, ec2 = engine.aws_signals.published
    assert s3["source"] == "aws.s3" and s3["detail-type"] == "Object Created"
    assert s3["detail"]["object"]["key"] == f"jobs/{outcome.resources['builder']['builder_name']}/result.json"
    assert ec2["Source"] == "aws.ec2" and ec2["DetailType"] == "EC2 AMI State Change"
    assert '"State": "available"' in ec2["Detail"]
    assert outcome.resources["ami_id"] in ec2["Detail"]
    targets = [target.rsplit(":", 1)[-1] for target, _ in engine.aws_signals.invocations]
    assert targets == ["ResumeOnAgentResult", "ResumeOnAmiState"]
    # The check ran as the AMI became available (`ended_at` has whole seconds).
    assert latency is not None and latency <= 1


def test_an_export_backup_s_waits_resume_on_the_ami_state_change_too() -> None:
    with LocalEngine(load_scenario("existing-images"), workflow="export-backup") as engine:
        outcome = engine.run(example("export-backup-nightly"), timeout=RUN_TIMEOUT)
        waits = _waits(engine)
        exported = [key for key in outcome.resources if key.startswith("export:")]

    assert outcome.succeeded, outcome.error
    # Each image's export ends its wait when EC2 says its AMI is available, not at the planned check
    # (the backup's only token waits; the Map's images interleave in the history, so count by kind).
    assert len(exported) >= 2
    assert sum(count for (_, kind), count in waits.items() if kind == "resumed") >= len(exported)
    assert all(target.endswith("ResumeOnAmiState") for target, _ in engine.aws_signals.invocations)


def test_a_failed_agent_job_resumes_the_snapshot_wait_and_fails_the_run_at_once() -> None:
    faults = [{"resource": "agent_job", "reason": "install.ps1 exited 1603"}]
    with fast_engine(fast_scenario(faults=faults)) as engine:
        outcome = engine.run(fast_request("reference"))
        waits = _waits(engine)

    assert outcome.status == "FAILED" and outcome.error is not None
    assert "install.ps1 exited 1603" in str(outcome.error)
    assert waits["WaitForSnapshot", "resumed"] == 1 and waits["WaitForSnapshot", "timed_out"] == 0
    assert {step.name: step.status for step in outcome.steps}["snapshot"] == "FAILED"


def test_with_every_event_dropped_polling_still_sees_the_agent_result_and_the_ami() -> None:
    outcome, waits, latency, engine = _run("dropped")

    assert outcome.status == "SUCCEEDED", outcome.error
    assert {kind for _, kind in waits} == {"timed_out"}
    assert waits["WaitForSnapshot", "timed_out"] >= 1 and waits["WaitForExport", "timed_out"] >= 1
    assert engine.aws_signals.published == [] and engine.aws_signals.invocations == []
    assert latency is not None  # the polling net saw the AMI


def test_a_late_event_is_no_error() -> None:
    outcome, waits, _, engine = _run("delayed")

    assert outcome.status == "SUCCEEDED", outcome.error
    assert waits["WaitForExport", "timed_out"] >= 1
    # S3's event still reaches its function, a minute and a half late.
    assert any(target.endswith("ResumeOnAgentResult") for target, _ in engine.aws_signals.invocations)


def test_the_seams_are_where_the_engine_expects_them() -> None:
    aws_signals.verify()


def test_a_nested_execution_s_wait_ends_with_it_and_leaves_no_thread_behind() -> None:
    """A `.sync` task waits on its nested execution and on a token at once; moto interrupts the token
    wait when the execution ends, and a wait left running would hold a CPU for the rest of the process."""
    before = set(threading.enumerate())
    with LocalEngine(load_scenario("existing-images"), workflow="managed-update") as engine:
        outcome = engine.run(example("managed-update-then-export"), timeout=RUN_TIMEOUT)

    assert outcome.succeeded, outcome.error
    left = [thread for thread in set(threading.enumerate()) - before if thread.is_alive()]
    for thread in left:
        thread.join(timeout=10)
    assert [thread.name for thread in left if thread.is_alive()] == []
