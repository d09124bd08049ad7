"""The local engine's seams on a small workflow of the same shape as the real one."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import moto
import pytest
from moto.awslambda.models import LambdaFunction
from moto.stepfunctions.parser.asl.component.state.wait.wait_function.wait_function import WaitFunction
from moto.stepfunctions.parser.utils import TMP_THREADS

from functions.core import timeutil
from functions.workflows import LambdaTask
from image_factory.local_engine import seams
from image_factory.local_engine.definition import DefinitionError
from image_factory.local_engine.engine import EngineBusy, LocalEngine
from tests.engine import loop_handlers

LOOP = Path(__file__).parent / "fixtures" / "loop.asl.json"
TASKS = (
    LambdaTask("Prepare", "tests.engine.loop_handlers.prepare", "PrepareFunctionArn"),
    LambdaTask("Check", "tests.engine.loop_handlers.check", "CheckFunctionArn"),
)
SCALE = 20_000.0  # 600 simulated seconds are 30 real milliseconds


def _task_outputs(engine: LocalEngine) -> list[dict[str, Any]]:
    history = engine.executions[-1].history()
    return [
        json.loads(event["stateExitedEventDetails"]["output"])
        for event in history
        if event["type"] == "TaskStateExited"
    ]


@pytest.fixture
def engine() -> Iterator[LocalEngine]:
    with LocalEngine(definition=LOOP, tasks=TASKS, time_scale=SCALE) as running:
        yield running


def test_waits_and_handlers_share_the_simulated_clock(engine: LocalEngine) -> None:
    outcome = engine.run({"checks": 3, "seconds": 600})

    assert outcome.status == "SUCCEEDED"
    output = _task_outputs(engine)[-1]
    # Two waits of 600 simulated seconds lie between the first and the last check.
    assert output["now"] - output["started"] >= 1200
    assert outcome.duration_seconds >= 1200
    assert [s.name for s in outcome.steps].count("Check") == 3


def test_a_named_error_is_retried_with_simulated_backoff(engine: LocalEngine) -> None:
    outcome = engine.run({"checks": 1, "flaky": 2})

    assert outcome.status == "SUCCEEDED"
    check = next(step for step in outcome.steps if step.name == "Check")
    assert check.attempts == 3
    # Retry intervals 300 + 600 simulated seconds passed.
    assert outcome.duration_seconds >= 900


def test_an_error_the_workflow_catches_ends_the_run_with_its_name(engine: LocalEngine) -> None:
    outcome = engine.run({"broken": True})

    assert outcome.status == "FAILED"
    assert outcome.error is not None
    assert outcome.error.code == "Loop.Failed"
    history = engine.executions[0].history()
    failures = [e["lambdaFunctionFailedEventDetails"] for e in history if e["type"] == "LambdaFunctionFailed"]
    assert failures[0]["error"] == "Broken"
    assert "the check cannot go on" in failures[0]["cause"]


def test_an_execution_stopped_while_a_task_runs_ends_aborted_whatever_the_task_then_raises(
    engine: LocalEngine,
) -> None:
    # Step Functions ends a stopped execution ABORTED; moto's interpreter would let the error the
    # task raised after the stop overwrite that, and the run would read FAILED.
    outcome = engine.run({"stop_then_fail": True})
    (execution,) = [run for run in engine.executions if run.arn == outcome.execution_arn]

    assert execution.status() == "ABORTED"
    assert [event["type"] for event in execution.history()][-1] == "ExecutionAborted"
    assert outcome.error is not None and outcome.error.code == "ABORTED"


def test_placeholders_are_filled_with_local_resources(engine: LocalEngine) -> None:
    engine.run({"checks": 1})
    prepared = _task_outputs(engine)[0]

    assert prepared["table"] == "image-factory-local-runs"
    assert prepared["function"] == "Prepare"


def test_a_replayed_task_runs_twice_and_counts_both() -> None:
    with LocalEngine(definition=LOOP, tasks=TASKS, time_scale=SCALE, replay={"Prepare"}) as engine:
        outcome = engine.run({"checks": 1})
        counters = engine.counters()

    assert outcome.status == "SUCCEEDED"
    assert loop_handlers.calls[f"{outcome.run_id}:prepare"] == 2
    assert counters.lambda_invocations == 3


def test_parallel_executions_each_wait_their_own_time(engine: LocalEngine) -> None:
    outcomes = engine.run_many([{"checks": 2, "seconds": 300 * (i + 1)} for i in range(6)])

    assert [o.status for o in outcomes] == ["SUCCEEDED"] * 6
    assert len({o.run_id for o in outcomes}) == 6
    for index, outcome in enumerate(outcomes):
        assert outcome.duration_seconds >= 300 * (index + 1)


def test_handler_output_stays_out_of_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    # The engine is entered inside the test: pytest re-installs its own stdout between phases.
    with LocalEngine(definition=LOOP, tasks=TASKS, time_scale=SCALE) as engine:
        engine.run({"checks": 1})

    assert "prepare says hello" not in capsys.readouterr().out
    assert any("prepare says hello" in i.logs for i in engine.invoker.invocations)


def test_counters_count_transitions_and_invocations(engine: LocalEngine) -> None:
    engine.run({"checks": 2, "flaky": 1})
    counters = engine.counters()

    # Prepare, Check(+1 retry), Done?, Wait, Check, Done?, Finished
    assert counters.state_transitions == 8
    assert counters.lambda_invocations == 4


def test_leaving_the_engine_stops_runs_and_restores_every_seam_and_the_clock() -> None:
    originals = (LambdaFunction._invoke_lambda, WaitFunction._wait_interval)
    threads_before = len(TMP_THREADS)
    with LocalEngine(definition=LOOP, tasks=TASKS, time_scale=SCALE) as engine:
        assert LambdaFunction._invoke_lambda is not originals[0]
        engine.start({"checks": 1, "seconds": 10**7})  # still waiting when the engine closes

    assert (LambdaFunction._invoke_lambda, WaitFunction._wait_interval) == originals
    assert timeutil.now_epoch() == pytest.approx(time.time(), abs=5)
    assert not any(thread.is_alive() for thread in TMP_THREADS[threads_before:])


def test_only_one_engine_runs_per_process(engine: LocalEngine) -> None:
    with pytest.raises(EngineBusy), LocalEngine(definition=LOOP, tasks=TASKS):
        pass


def test_an_unfilled_placeholder_is_refused(tmp_path: Path) -> None:
    definition = tmp_path / "bad.asl.json"
    definition.write_text(LOOP.read_text().replace("${CheckFunctionArn}", "${NoSuchFunctionArn}"))

    with (
        pytest.raises(DefinitionError, match="NoSuchFunctionArn"),
        LocalEngine(definition=definition, tasks=TASKS),
    ):
        pass


def test_another_moto_version_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(moto, "__version__", "9.9.9")

    with pytest.raises(seams.EngineIncompatible, match=r"9\.9\.9"):
        seams.verify_seams()
