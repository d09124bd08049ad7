"""`image-factory run --local` and `image-factory demo` through the real workflow."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from functions.api.models import RunDetail, Step
from image_factory.cli import main
from tests.engine.pipeline_support import FAST_DURATIONS, fast_request

pytestmark = pytest.mark.slow


@pytest.fixture
def fast_files(tmp_path: Path) -> dict[str, Path]:
    request = tmp_path / "request.json"
    request.write_text(json.dumps(fast_request("reference")))
    scenario = tmp_path / "scenario.yaml"
    scenario.write_text(yaml.safe_dump({"durations": FAST_DURATIONS}))
    failing = tmp_path / "failing.yaml"
    failing.write_text(
        yaml.safe_dump({"durations": FAST_DURATIONS, "faults": [{"resource": "image_builder"}]})
    )
    return {"request": request, "scenario": scenario, "failing": failing}


def _run_json(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, Any]]:
    code = main(argv)
    return code, json.loads(capsys.readouterr().out)  # stdout holds exactly one JSON document


def test_a_successful_run_prints_its_record_counters_and_inventory(
    fast_files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    code, report = _run_json(
        ["run", "--local", str(fast_files["request"]), "--scenario", str(fast_files["scenario"]), "--json"],
        capsys,
    )

    assert code == 0
    assert report["status"] == "SUCCEEDED"
    assert report["error"] is None
    assert str(report["resources"]["export"]["ami_id"]).startswith("ami-")
    steps = report["steps"]
    assert [s["step"] for s in steps] == [
        "preflight",
        "source",
        "builder_slot",
        "builder",
        "snapshot",
        "export",
        "cleanup",
    ]
    assert all({"step", "status", "attempts", "polls", "started_at"} <= set(step) for step in steps)
    counters = report["counters"]
    assert {"state_transitions", "lambda_invocations", "appstream_calls"} <= set(counters)
    assert counters["appstream_calls"] > 0
    inventory = report["inventory"]
    assert inventory["image_builders"] == []
    assert [t["state"] for t in inventory["export_tasks"]] == ["COMPLETED"]
    # One shape for a run: what the run API answers for GET /runs/{id}, plus the engine's figures.
    engine_figures = {"counters", "cost", "inventory", "scenario", "time_scale", "real_seconds"}
    assert set(report) - engine_figures == set(RunDetail.model_json_schema(by_alias=True)["properties"])
    assert all(set(step) == set(Step.model_json_schema()["properties"]) for step in steps)
    assert report["workflow"] == "image-pipeline"


def test_a_failed_run_exits_1_and_names_the_step(
    fast_files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    code, report = _run_json(
        ["run", "--local", str(fast_files["request"]), "--scenario", str(fast_files["failing"]), "--json"],
        capsys,
    )

    assert code == 1
    assert report["status"] == "FAILED"
    assert report["error"] == {
        "step": "builder",
        "code": "ImageBuilderFailed",
        "message": report["error"]["message"],
    }
    assert report["inventory"]["image_builders"] == []


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["run", "--local", "no-such-request"], "no such file"),
        (["run", "--local", "reference", "--scenario", "no-such-scenario"], "no such file"),
        (["run", "--local", "reference", "--time-scale", "0"], "--time-scale"),
    ],
)
def test_bad_input_exits_2_with_a_message(
    arguments: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(arguments) == 2
    captured = capsys.readouterr()
    assert message in captured.err
    assert "Traceback" not in captured.err
    assert captured.out == ""


def test_an_invalid_request_or_scenario_exits_2_naming_the_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    request = tmp_path / "request.json"
    request.write_text(
        json.dumps(
            {
                **fast_request("reference"),
                "builder": {"instance_type": "stream.standard.large", "root_volume_gb": 9},
            }
        )
    )
    scenario = tmp_path / "scenario.yaml"
    scenario.write_text(yaml.safe_dump({"quotas": {"image_builders": -1}}))

    assert main(["run", "--local", str(request)]) == 2
    assert "builder.root_volume_gb" in capsys.readouterr().err
    assert main(["run", "--local", "reference", "--scenario", str(scenario)]) == 2
    assert "quotas.image_builders" in capsys.readouterr().err
    # Under --json the same error is a document on stdout, each bad field listed.
    assert main(["run", "--local", str(request), "--json"]) == 2
    error = json.loads(capsys.readouterr().out)["error"]
    assert [item["field"] for item in error["fields"]] == ["builder.root_volume_gb"]
    assert main(["run", "--local", "reference", "--scenario", str(scenario), "--json"]) == 2
    assert "quotas.image_builders" in json.loads(capsys.readouterr().out)["error"]["message"]


def test_the_demo_runs_the_reference_pipeline() -> None:
    # As `make demo` runs it: a process of its own, with none of the test session's environment
    # for the functions (Powertools' service and namespace), which a newcomer's shell has not.
    environment = {key: value for key, value in os.environ.items() if not key.startswith("POWERTOOLS_")}
    demo = subprocess.run(
        [sys.executable, "-m", "image_factory.cli", "demo"],
        capture_output=True,
        text=True,
        env=environment,
        cwd=Path(__file__).resolve().parents[2],
        check=False,
    )
    output = demo.stdout
    assert demo.returncode == 0, output + demo.stderr
    assert "run    SUCCEEDED" in output
    assert "AMI: ami-" in output
    assert "image builders: none" in output


def test_the_progress_view_shows_every_check_in_time_order(
    fast_files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", str(fast_files["request"]), "--scenario", str(fast_files["scenario"])]) == 0
    output = capsys.readouterr().out
    progress = [line.split(None, 1) for line in output.splitlines() if line.startswith("  +")]

    def seconds(clock: str) -> int:
        hours, minutes, secs = clock.lstrip("+").split(":")
        return int(hours) * 3600 + int(minutes) * 60 + int(secs)

    times = [seconds(clock) for clock, _ in progress]
    assert times == sorted(times)
    assert output.count("simulated time") == 1
    for step in ("source", "builder", "snapshot", "export", "cleanup"):
        checks = [text for _, text in progress if text.startswith(f"step   {step}: check ")]
        numbers = [int(text.split("check ")[1].split(":")[0]) for text in checks]
        (ended,) = [text for _, text in progress if text.startswith(f"step   {step}: SUCCEEDED")]
        assert numbers == list(range(1, len(numbers) + 1))  # none dropped
        assert ended.endswith(f", {len(numbers) + 1} check{'s' if numbers else ''}")
        assert all("; next check in " in text and ", waiting for " in text for text in checks)
    assert "1 checks" not in output


def test_a_distributed_run_names_the_regions_and_accounts_its_image_reached(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    request = fast_request("distribute")
    request["waits"]["distribute"] = {"expected_minutes": 5}
    path = tmp_path / "distribute.json"
    path.write_text(json.dumps(request))
    scenario = tmp_path / "scenario.yaml"
    scenario.write_text(yaml.safe_dump({"durations": {**FAST_DURATIONS, "image_copy": 300}}))

    code = main(["run", "--local", str(path), "--scenario", str(scenario)])
    text = capsys.readouterr().out

    assert code == 0
    reached = "reached regions us-east-1, eu-west-1, ap-northeast-1; shared with 111122223333, 444455556666"
    assert reached in text
    assert "images in other regions:" in text and "(eu-west-1, AVAILABLE)" in text
