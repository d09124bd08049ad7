"""The `image-factory` commands of the README's and the docs' shell blocks, run as written.

A usage block (a line with `[`, `|` or `...`): every option it names must exist on its command.
Any other block runs in order, in a scratch folder, on the local engine:
- `api serve` and `emulator serve` must parse; the block's API commands (and its `curl` lines)
  then go to an in-process run API on the scenario the `api serve` line names;
- the docs' placeholders are filled: my-request.json, my-manual-request.json, RUN_ID (the run
  the block started), B and I (the builder and image a manual run waits on);
- a command exits 0, or 1 when it runs a scenario made to fail, and every run the block started
  ends SUCCEEDED.
"""

from __future__ import annotations

import argparse
import io
import json
import subprocess
from contextlib import ExitStack, redirect_stdout
from pathlib import Path
from typing import Any

import pytest

from image_factory.cli import build_parser, main
from image_factory.local_engine.engine import LocalEngine
from image_factory.local_engine.inputs import load_request_document, load_scenario
from image_factory.remote.local_server import LocalApiServer
from tests.api.local_api import wait_for
from tests.docs.shell_blocks import PROJECT_ROOT, Block, Command, blocks

pytestmark = pytest.mark.slow

BLOCKS = blocks()
SERVES = (["api", "serve"], ["emulator", "serve"])
NEEDS_API = {"start", "status", "watch", "list", "cancel", "report"}
FAILING_SCENARIOS = {"export-fails", "builder-fails", "image-fails", "import-fails", "agent-job-fails"}
RUN_TIMEOUT = 120.0


def _usage(block: Block) -> bool:
    return any(command.is_synopsis for command in block.commands)


def test_the_docs_show_commands_of_every_kind() -> None:
    programs = {(command.program, command.argv[0]) for block in BLOCKS for command in block.commands}
    assert {("image-factory", "run"), ("image-factory", "start"), ("curl", "-s")} <= programs


@pytest.mark.parametrize("block", [b for b in BLOCKS if _usage(b)], ids=lambda b: b.where)
def test_a_usage_block_names_only_options_its_commands_have(block: Block) -> None:
    for command in block.commands:
        words = [token.strip("[]") for token in command.argv]
        parser, rest = _subcommand(words)
        known = {option for action in parser._actions for option in action.option_strings}
        named = {word.split("=")[0] for word in rest if word.startswith("--")}
        assert named <= known, f"{block.where}: {' '.join(command.argv)}: no {sorted(named - known)}"


@pytest.mark.parametrize("block", [b for b in BLOCKS if not _usage(b)], ids=lambda b: b.where)
def test_a_block_runs_as_written(block: Block, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "image_factory").symlink_to(PROJECT_ROOT / "image_factory")
    _write_placeholders(tmp_path)
    runner = BlockRunner(block)
    with runner:
        for command in block.commands:
            runner.run(command)
        runner.check_runs_ended()


def _subcommand(words: list[str]) -> tuple[argparse.ArgumentParser, list[str]]:
    parser = build_parser()
    while words:
        choices = next(
            (a.choices for a in parser._actions if isinstance(a, argparse._SubParsersAction)), None
        )
        if not choices or words[0] not in choices:
            break
        parser, words = choices[words[0]], words[1:]
    return parser, words


def _write_placeholders(folder: Path) -> None:
    _, request = load_request_document("reference")
    (folder / "my-request.json").write_text(json.dumps(request))
    _, manual = load_request_document("from-existing-image")
    (folder / "my-manual-request.json").write_text(json.dumps({**manual, "snapshot": {"mode": "manual"}}))


class BlockRunner:
    """Runs one block's commands; holds the run API its commands talk to and the runs they start."""

    def __init__(self, block: Block) -> None:
        self.block = block
        self.scenario = next(
            (_option(c.argv, "--scenario") for c in block.commands if c.argv[:2] == ["api", "serve"]), None
        )
        self.server: LocalApiServer | None = None
        self.runs: list[str] = []
        self._stack = ExitStack()

    def __enter__(self) -> BlockRunner:
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()

    def run(self, command: Command) -> None:
        where = f"{self.block.where}: {command.program} {' '.join(command.argv)}"
        if command.program == "curl":
            self._curl(command, where)
        elif command.argv[:2] in SERVES:
            build_parser().parse_args(command.argv)  # a server is served in-process below
        else:
            self._cli(command, where)

    def _cli(self, command: Command, where: str) -> None:
        argv = [self._fill(token) for token in command.argv]
        if argv[0] in NEEDS_API or argv[:2] == ["emulator", "create-image"]:
            argv += ["--endpoint", self._api().url]
        printed = io.StringIO()
        with redirect_stdout(printed):
            code = main(argv)
        out = printed.getvalue()
        expected = 1 if _option(argv, "--scenario") in FAILING_SCENARIOS else 0
        assert code == expected, f"{where}: exit {code}, expected {expected}\n{out}"
        if command.stdout_to:
            Path(command.stdout_to).write_text(out)
            assert json.loads(out), f"{where}: wrote no JSON to {command.stdout_to}"
        if "--json" in argv:
            json.loads(out)  # one JSON document, nothing else
        if argv[0] == "start":
            self.runs.append(out.split()[1])

    def _curl(self, command: Command, where: str) -> None:
        host = self._api().url.removeprefix("http://")
        argv = [token.replace("localhost:8080", host) for token in command.argv]
        done = subprocess.run(["curl", *argv], capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, f"{where}: {done.stderr}"
        answer = json.loads(done.stdout)
        assert "run_id" in answer, f"{where}: {answer}"
        self.runs.append(answer["run_id"])

    def _fill(self, token: str) -> str:
        if token == "RUN_ID":
            return self.runs[-1]
        if token in ("B", "I"):
            builder, image = self._manual_step()
            return builder if token == "B" else image
        return token

    def _manual_step(self) -> tuple[str, str]:
        """The builder and image the manual run announces, once it waits for a person."""

        def waiting(run: dict[str, Any]) -> bool:
            return any(step["step"] == "snapshot" and step["status"] == "RUNNING" for step in run["steps"])

        run = wait_for(self._api().url, self.runs[-1], waiting, RUN_TIMEOUT)
        steps = {step["step"]: step.get("resource") or {} for step in run["steps"]}
        return steps["builder"]["builder_name"], steps["snapshot"]["image_name"]

    def _api(self) -> LocalApiServer:
        if self.server is None:
            scenario = load_scenario(self.scenario) if self.scenario else None
            self.server = self._stack.enter_context(LocalApiServer(LocalEngine(scenario), port=0))
        return self.server

    def check_runs_ended(self) -> None:
        for run_id in self.runs:
            run = wait_for(self._api().url, run_id, lambda run: run["status"] not in ("STARTING", "RUNNING"))
            assert run["status"] == "SUCCEEDED", f"{self.block.where}: run {run_id}: {run.get('error')}"


def _option(argv: list[str], name: str) -> str | None:
    return argv[argv.index(name) + 1] if name in argv[:-1] else None
