"""The waiting benchmark: its JSON for one scenario, its timelines, and a judge that can say "missed"."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from benchmarks import waiting
from benchmarks.waiting import PLANNER, POLL, RunFigures, judge

pytestmark = pytest.mark.slow


def run(transitions: int, latency: float, succeeded: bool = True) -> RunFigures:
    steps = len(waiting.DETECTED_PHASES)
    return RunFigures(succeeded, transitions, 0, 0, [latency] * steps)


def results(planner: list[RunFigures]) -> dict[str, list[RunFigures]]:
    return {PLANNER.name: planner, POLL.name: [run(400, 30)] * len(planner)}


def test_one_scenario_prints_both_policies_runs_in_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario = tmp_path / "short.yaml"
    short = {"import": 270, "validation": 90, "builder_start": 72, "snapshot": 240, "export": 210}
    scenario.write_text(yaml.safe_dump({"durations": short, "seed": 1}))

    assert waiting.main(["--runs", "2", "--scenario", str(scenario), "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)

    assert set(printed["policies"]) == {"planner", "poll-60s"}
    for policy in printed["policies"].values():
        assert len(policy["runs"]) == 2
        for figures in policy["runs"]:
            assert figures["succeeded"] is True
            assert figures["state_transitions"] > 0 and figures["appstream_calls"] > 0
            assert len(figures["detection_latency_s"]) == len(printed["steps"]) == 5
    poll, planner = (printed["policies"][name]["runs"][0] for name in ("poll-60s", "planner"))
    assert planner["state_transitions"] < poll["state_transitions"]
    assert set(printed["targets"]) == {"first_run", "runs_2_4"}


def test_the_judge_says_missed_when_a_target_is_not_met() -> None:
    good = [run(80, 200), run(60, 40), run(60, 40), run(60, 40)]
    assert all(verdict.met for verdict in judge(results(good)).values())

    slow_first = [run(80, 301), *good[1:]]
    costly_later = [good[0], run(101, 40), run(101, 40), run(101, 40)]
    failed = [run(80, 200, succeeded=False), *good[1:]]
    assert not judge(results(slow_first))["first_run"].met
    assert not judge(results(costly_later))["runs_2_4"].met
    assert not judge(results(failed))["first_run"].met


def test_each_timeline_scales_the_reference_durations() -> None:
    base = waiting.reference_scenario()
    doubled = waiting.scaled(base, waiting.TIMELINES["x2"])
    skewed = waiting.scaled(base, waiting.TIMELINES["skewed"])

    assert doubled.durations.export == 2 * base.durations.export
    assert doubled.durations.builder_delete == base.durations.builder_delete  # cleanup is not scaled
    assert skewed.durations.import_ == 0.5 * base.durations.import_
    assert skewed.durations.validation == 2 * base.durations.validation
    assert (doubled.jitter, doubled.seed) == (base.jitter, base.seed)


def test_the_tuning_draw_is_another_seed_and_never_written(capsys: pytest.CaptureFixture[str]) -> None:
    assert waiting.reference_scenario(waiting.TUNING_SEED).seed != waiting.reference_scenario().seed

    with pytest.raises(SystemExit) as refused:
        waiting.main(["--seed", str(waiting.TUNING_SEED), "--timeline", "x1", "--write"])
    assert refused.value.code == 2
    assert "--write reports the whole matrix of seed 2026" in capsys.readouterr().err
