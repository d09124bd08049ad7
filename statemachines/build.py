"""Write each workflow's ASL file from its Python source.

    python -m statemachines.build          # rewrite the files that differ from their sources
    python -m statemachines.build --check  # write nothing; exit 1 naming each file that differs

`statemachines/<workflow>.py` is the source of `statemachines/<workflow>.asl.json`, the file CDK
deploys and the local engine runs. Never edit the JSON: edit the source and build. `make lint`
runs `--check`, so a hand edit or a forgotten build fails there.

Adding a state: add it to the list in the workflow's `definition()`, where the file should list
it (usually after the state that leads to it), and point the states that lead to it at its name:

    task(
        "CancelRun",                      # the state's name
        "CancelRunFunctionArn",           # the function's placeholder (functions/workflows/__init__.py)
        "Stop what the run started.",     # the Comment
        payload=inputs("plan"),           # {"plan.$": "$.plan"}
        result=outputs("done", "actions"),  # the ResultSelector, from the Lambda's Payload
        result_path="$.cancel",
        on_error="RecordFailure",         # the Catch target; the error lands at error_path ($.error)
        next="RecordSuccess",
    ),

Retry and Catch come with `task` (see `statemachines.dsl.retry`; `quota=True` for a task that
creates what an account quota counts). Other states: `choice` with `is_true`/`is_false`/`is_set`/
`equals` rules, `until_done` and `wait` for a wait loop, `pass_parameters`, `pass_result`,
`for_each` (Map), `start_workflow`, `succeed`, `fail`. A shape none of them has belongs in
`statemachines/dsl.py`. Then run `python -m statemachines.build` and commit the source and the
JSON together.
"""

from __future__ import annotations

import argparse
import difflib
import importlib
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

HERE = Path(__file__).resolve().parent
# The source modules of statemachines/, each writing <name>.asl.json.
WORKFLOWS = ("image_pipeline", "export_backup", "managed_update", "fleet_rollout", "retention")
DIFF_LINES = 20


def render(definition: dict[str, Any]) -> str:
    return json.dumps(definition, indent=2) + "\n"


def expected_files(directory: Path = HERE) -> dict[Path, str]:
    """Each ASL file under `directory` and the text its source produces now."""
    files = {}
    for name in WORKFLOWS:
        module = importlib.import_module(f"statemachines.{name}")
        definition = cast(Callable[[], dict[str, Any]], module.definition)
        files[directory / f"{name}.asl.json"] = render(definition())
    return files


def differences(directory: Path = HERE) -> dict[Path, list[str]]:
    """Each file whose text differs from its source, with the start of a unified diff."""
    found = {}
    for path, text in expected_files(directory).items():
        current = path.read_text(encoding="utf-8") if path.exists() else ""
        if current != text:
            diff = difflib.unified_diff(
                current.splitlines(),
                text.splitlines(),
                f"{path.name} (checked in)",
                f"{path.name} (built)",
                lineterm="",
            )
            found[path] = list(diff)[:DIFF_LINES]
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m statemachines.build",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if a file differs")
    parser.add_argument(
        "--dir", type=Path, default=HERE, help="where the ASL files are (default: %(default)s)"
    )
    args = parser.parse_args(argv)
    stale = differences(args.dir)
    if args.check:
        for path, diff in stale.items():
            print(f"{path} differs from its source statemachines/{path.name.removesuffix('.asl.json')}.py")
            print("\n".join(f"    {line}" for line in diff))
        if stale:
            print("run: python -m statemachines.build")
        return 1 if stale else 0
    for path, text in expected_files(args.dir).items():
        if path in stale:
            path.write_text(text, encoding="utf-8", newline="\n")
            print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
