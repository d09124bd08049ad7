"""The ASL files are what their Python sources build, and Retry/Catch follow the error taxonomy."""

from __future__ import annotations

import ast
import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from statemachines import build, dsl

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ROOT / "statemachines"
INDENT = " " * 10  # a retrier's keys, in a top-level state


def lambda_tasks(node: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for name, state in node["States"].items():
        if state.get("Resource") == "${LambdaInvoke}":
            yield name, state
        if "ItemProcessor" in state:
            yield from lambda_tasks(state["ItemProcessor"])


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    """The checked-in ASL files, in a folder of their own."""
    for path in SOURCES.glob("*.asl.json"):
        shutil.copy(path, tmp_path / path.name)
    return tmp_path


def test_the_checked_in_files_are_what_the_sources_build() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "statemachines.build", "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout == ""


def test_every_workflow_has_a_source_and_nothing_else_is_generated() -> None:
    assert {f"{name}.asl.json" for name in build.WORKFLOWS} == {p.name for p in SOURCES.glob("*.asl.json")}


def test_an_edited_file_fails_the_check_naming_it_and_is_left_alone(
    copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    edited = copy / "retention.asl.json"
    definition = json.loads(edited.read_text())
    definition["States"]["PlanRetention"]["Retry"][1]["MaxAttempts"] = 3
    text = json.dumps(definition, indent=2) + "\n"
    edited.write_text(text)

    assert build.main(["--check", "--dir", str(copy)]) == 1
    out = capsys.readouterr().out
    assert "retention.asl.json differs from its source statemachines/retention.py" in out
    assert f'-{INDENT}"MaxAttempts": 3,' in out and f'+{INDENT}"MaxAttempts": 8,' in out
    assert "image_pipeline.asl.json" not in out
    assert edited.read_text() == text, "--check wrote the file"


def test_a_missing_file_fails_the_check(copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (copy / "fleet_rollout.asl.json").unlink()
    assert build.main(["--check", "--dir", str(copy)]) == 1
    assert "fleet_rollout.asl.json differs" in capsys.readouterr().out


def test_building_rewrites_only_what_differs(copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (copy / "export_backup.asl.json").write_text("{}\n")
    assert build.main(["--dir", str(copy)]) == 0
    assert capsys.readouterr().out.strip() == f"wrote {copy / 'export_backup.asl.json'}"
    assert build.main(["--check", "--dir", str(copy)]) == 0
    for path in copy.iterdir():
        assert path.read_text() == (SOURCES / path.name).read_text(), path.name


def test_a_new_terminal_error_is_never_retried_by_any_task(
    monkeypatch: pytest.MonkeyPatch, copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    terminal = [*dsl.taxonomy.terminal_error_names(), "WidgetJammed"]
    monkeypatch.setattr(dsl.taxonomy, "terminal_error_names", lambda: terminal)
    for path, text in build.expected_files(copy).items():
        tasks = dict(lambda_tasks(json.loads(text)))
        assert tasks, path.name
        for name, state in tasks.items():
            never = [retrier for retrier in state["Retry"] if retrier["MaxAttempts"] == 0]
            assert never == [{"ErrorEquals": terminal, "MaxAttempts": 0}], f"{path.name}: {name}"
            assert state["Catch"][0]["ErrorEquals"] == ["States.ALL"], f"{path.name}: {name}"
    # The checked-in files no longer match: every workflow has Lambda tasks.
    assert build.main(["--check", "--dir", str(copy)]) == 1
    out = capsys.readouterr().out
    assert all(f"{name}.asl.json differs" in out for name in build.WORKFLOWS)
    assert f'+{INDENT}  "WidgetJammed"' in out


def test_a_new_retryable_error_is_retried_with_backoff_by_every_task(monkeypatch: pytest.MonkeyPatch) -> None:
    scanner_busy = type("ScannerBusy", (Exception,), {})
    monkeypatch.setattr(dsl.taxonomy, "RETRYABLE_ERRORS", (*dsl.taxonomy.RETRYABLE_ERRORS, scanner_busy))
    for path, text in build.expected_files().items():
        for name, state in lambda_tasks(json.loads(text)):
            (retrier,) = [r for r in state["Retry"] if "ScannerBusy" in r["ErrorEquals"]]
            assert retrier["MaxAttempts"] > 0 and retrier["JitterStrategy"] == "FULL", f"{path.name}: {name}"
            assert "AppStreamThrottled" in retrier["ErrorEquals"], f"{path.name}: {name}"


def test_only_the_dsl_imports_the_functions_and_only_once() -> None:
    """So moving the error taxonomy is a one-line change here."""
    imports: dict[str, int] = {}
    for path in SOURCES.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            if any(name == "functions" or name.startswith("functions.") for name in names):
                imports[path.name] = imports.get(path.name, 0) + 1
    assert imports == {"dsl.py": 1}
