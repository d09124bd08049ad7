"""The export's wait resumes on EC2's AMI state change, and polling still sees the AMI without it.

EC2 sends "EC2 AMI State Change" best effort: the scenario's `assumptions.aws_events` delivers it,
drops it or delays it (docs/emulator-fidelity.md). Whatever it does, the run ends the same.
"""

from __future__ import annotations

import threading
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


def _export_waits(engine: LocalEngine) -> dict[str, int]:
    """How the export's waits ended: resumed by the token, or timed out (the polling net)."""
    ended = {"resumed": 0, "timed_out": 0}
    for execution in engine.executions:
        for event in execution.history():
            details = event.get("taskSucceededEventDetails") or event.get("taskTimedOutEventDetails") or {}
            if "waitForTaskToken" in str(details.get("resource", "")):
                ended["resumed" if event["type"] == "TaskSucceeded" else "timed_out"] += 1
    return ended


def _run(reading: str) -> tuple[Any, dict[str, int], float | None, LocalEngine]:
    with fast_engine(fast_scenario(assumptions={"aws_events": reading})) as engine:
        outcome = engine.run(fast_request("reference"))
        execution = engine.executions[0]
        _, steps = execution.records()
        latency = detection_latencies(steps, engine.emulator.phase_ends())[EXPORT]
        return outcome, _export_waits(engine), latency, engine


def test_the_export_wait_resumes_when_ec2_says_the_ami_is_available() -> None:
    outcome, waits, latency, engine = _run("delivered")

    assert outcome.status == "SUCCEEDED", outcome.error
    assert waits["resumed"] == 1
    [event] = engine.aws_signals.published
    assert event["Source"] == "aws.ec2" and event["DetailType"] == "EC2 AMI State Change"
    assert '"State": "available"' in event["Detail"]
    assert outcome.resources["ami_id"] in event["Detail"]
    [(target, _)] = engine.aws_signals.invocations
    assert target.endswith(":function:ResumeOnAmiState")
    # The check ran as the AMI became available (`ended_at` has whole seconds).
    assert latency is not None and latency <= 1


def test_with_every_event_dropped_polling_still_sees_the_ami() -> None:
    outcome, waits, latency, engine = _run("dropped")

    assert outcome.status == "SUCCEEDED", outcome.error
    assert waits == {"resumed": 0, "timed_out": waits["timed_out"]} and waits["timed_out"] >= 1
    assert engine.aws_signals.published == [] and engine.aws_signals.invocations == []
    assert latency is not None  # the polling net saw the AMI


def test_a_late_event_resumes_nothing_and_is_no_error() -> None:
    outcome, waits, _, _ = _run("delayed")

    assert outcome.status == "SUCCEEDED", outcome.error
    assert waits["timed_out"] >= 1


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
