"""Lambda cold start: import and initialisation of every task handler, against a floor.

    .venv/bin/python -m benchmarks.cold_start [--repeat 7] [--task NAME ...] [--write]

Each measurement is a fresh interpreter that times (interpreter start-up excluded) the
import of one handler module, by the wall clock and by the CPU time the interpreter used.
The floor is what any Python Lambda of this kind pays anyway: import boto3 and pydantic,
create an AppStream client and a DynamoDB resource. A floor interpreter runs right before
each handler interpreter, so a handler's ratio compares runs made under the same load of a
shared machine; medians of `--repeat` rounds. Importing is CPU work: on a quiet machine the
two clocks agree, on a busy one the CPU time still measures the work while the wall clock
also counts waiting for a core.

The functions create their clients on first use, so a handler's import leaves out what the
floor counts for its clients. The same interpreter then creates the floor's two clients the
way the functions do (`functions.clients`): the "first request" columns, what a cold
function pays before its first answer, less validating the event and the settings.
The deployment package comes from the CDK bundle in `cdk.out`, when a synth has left one.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.report import command_line, median, provenance, table, write_section
from functions.catalog import LAMBDA_TASKS, LambdaTask

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CDK_OUT = PROJECT_ROOT / "cdk.out"
TARGET_RATIO = 1.15

FLOOR_CODE = """
import boto3, pydantic
boto3.client("appstream")
boto3.resource("dynamodb")
"""
# The clients of the floor, made the way the functions make them on their first request.
FIRST_REQUEST_CLIENTS = """
from functions import clients
clients.appstream()
clients.dynamodb()
"""
# Runs each stage in turn; prints, after each, the wall and CPU seconds since the first began.
TIMED = """
import time
wall, cpu = time.perf_counter(), time.process_time()
for stage in {stages!r}:
    exec(compile(stage, "<measured>", "exec"))
    print(time.perf_counter() - wall, time.process_time() - cpu)
"""
# What Lambda's environment provides, plus the variables the stack sets; nothing reaches AWS.
ENVIRONMENT = {
    "AWS_REGION": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_EC2_METADATA_DISABLED": "true",
    # On Lambda the X-Ray SDK samples locally; elsewhere it builds X-Ray clients when imported.
    "LAMBDA_TASK_ROOT": str(PROJECT_ROOT),
    "AWS_LAMBDA_FUNCTION_NAME": "image-factory-benchmark",
    "POWERTOOLS_SERVICE_NAME": "image-factory",
    "POWERTOOLS_METRICS_NAMESPACE": "ImageFactoryBenchmark",
    "POWERTOOLS_TRACE_DISABLED": "false",  # the functions trace (X-Ray active), whatever the caller set
    # The bundle ships no bytecode and Lambda's code directory is read-only, so a cold function
    # compiles the project's modules every time: so does every interpreter here (the
    # dependencies load from the virtualenv's bytecode, in the floor and the handlers alike).
    "PYTHONDONTWRITEBYTECODE": "1",
}


@dataclass(frozen=True)
class Timing:
    wall: float
    cpu: float


def timed_stages(*stages: str, bytecode_from: Path | None = None) -> list[Timing]:
    """Seconds from the start of the first stage to the end of each, in one fresh interpreter.

    `bytecode_from`: the only place the interpreter looks for bytecode (an empty directory
    makes it compile every module it imports, dependencies included, as on Lambda today).
    """
    prefix = {"PYTHONPYCACHEPREFIX": str(bytecode_from)} if bytecode_from else {}
    completed = subprocess.run(
        [sys.executable, "-c", TIMED.format(stages=stages)],
        cwd=PROJECT_ROOT,
        env={**os.environ, **ENVIRONMENT, **prefix},
        capture_output=True,
        text=True,
        check=True,
    )
    lines = completed.stdout.strip().splitlines()[-len(stages) :]
    return [Timing(*(float(value) for value in line.split())) for line in lines]


def project_bytecode() -> list[Path]:
    """Bytecode caches in the project's package: interpreters would load them instead of compiling."""
    return sorted((PROJECT_ROOT / "functions").rglob("__pycache__"))


def handler_module(handler: str) -> str:
    return handler.rsplit(".", 1)[0]


def bundles() -> dict[str, Path]:
    """Handler -> bundle directory of each task function in the synthesized templates."""
    found: dict[str, Path] = {}
    for template in CDK_OUT.glob("*.template.json"):
        resources = json.loads(template.read_text(encoding="utf-8")).get("Resources", {})
        for resource in resources.values():
            if resource.get("Type") != "AWS::Lambda::Function":
                continue
            key = str(resource["Properties"].get("Code", {}).get("S3Key", ""))
            folder = CDK_OUT / f"asset.{key.removesuffix('.zip')}"
            if folder.is_dir():
                found[str(resource["Properties"].get("Handler"))] = folder
    return found


def package_sizes(folder: Path) -> tuple[float, float]:
    """(unzipped MB, zipped MB) of a bundle directory, zipped in memory as CDK would upload it."""
    buffer = io.BytesIO()
    unzipped = 0
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                unzipped += path.stat().st_size
                archive.write(path, path.relative_to(folder))
    return unzipped / 1e6, buffer.tell() / 1e6


@dataclass
class Samples:
    """One handler's interpreters, and the floor interpreters run right before them."""

    floor: list[Timing] = field(default_factory=list)
    handler: list[Timing] = field(default_factory=list)
    first_request: list[Timing] = field(default_factory=list)

    def wall_ms(self, taken: list[Timing]) -> float:
        return median([timing.wall for timing in taken]) * 1000

    def wall_ratio(self, taken: list[Timing]) -> float:
        return median([timing.wall for timing in taken]) / median([timing.wall for timing in self.floor])

    def cpu_ratio(self, taken: list[Timing]) -> float:
        return median([timing.cpu for timing in taken]) / median([timing.cpu for timing in self.floor])


def measure(tasks: Sequence[LambdaTask], repeat: int) -> dict[str, Samples]:
    """Round after round over every task: a floor interpreter, then the handler's."""
    samples = {task.name: Samples() for task in tasks}
    for _ in range(repeat):
        for task in tasks:
            taken = samples[task.name]
            taken.floor += timed_stages(FLOOR_CODE)
            imported, first_request = timed_stages(
                f"import {handler_module(task.handler)}", FIRST_REQUEST_CLIENTS
            )
            taken.handler.append(imported)
            taken.first_request.append(first_request)
    return samples


def timing_section(tasks: Sequence[LambdaTask], repeat: int) -> list[str]:
    samples = measure(tasks, repeat)
    slowest = max(tasks, key=lambda task: samples[task.name].wall_ratio(samples[task.name].handler))
    floors = [timing for taken in samples.values() for timing in taken.floor]
    rows = [row(task, samples[task.name]) for task in tasks]
    worst_wall = max(taken.wall_ratio(taken.handler) for taken in samples.values())
    worst_cpu = max(taken.cpu_ratio(taken.handler) for taken in samples.values())
    worst_first = max(taken.wall_ratio(taken.first_request) for taken in samples.values())
    header = ["function", "handler", "import + init, ms", "ratio to floor", "CPU ratio"]
    return [
        f"Median of {repeat} rounds; each round runs a fresh floor interpreter right before each "
        "handler's, and each ratio divides by the floors run beside that handler. Floor (boto3 + "
        "pydantic imported, an AppStream client and a DynamoDB resource created): "
        f"**{median([timing.wall for timing in floors]) * 1000:.0f} ms** wall, "
        f"{median([timing.cpu for timing in floors]) * 1000:.0f} ms CPU (medians of all {len(floors)} "
        "floor interpreters). CPU ratio: the same by the CPU time the interpreters used, which a "
        "busy machine disturbs far less. First request: the import, then an AppStream and a "
        "DynamoDB client created through `functions.clients`, as a cold function does before its "
        "first answer (the floor's clients, which the import alone leaves out).",
        table([*header, "first request, ms", "first request to floor"], rows),
        f"Slowest handler: **{worst_wall:.2f}x** the floor by the wall clock, **{worst_cpu:.2f}x** by "
        f"CPU time (target <= {TARGET_RATIO}x: {verdict(worst_wall)} by the wall clock, "
        f"{verdict(worst_cpu)} by CPU time); slowest first request: **{worst_first:.2f}x** (target: "
        f"{verdict(worst_first)}). The first request is the like-for-like figure: the floor creates its "
        "clients, the handlers create theirs only when first called.",
        *from_source_section(slowest, repeat),
    ]


def from_source_section(task: LambdaTask, repeat: int) -> list[str]:
    """The floor and one handler with no bytecode anywhere, as the bundle deploys them today."""
    with tempfile.TemporaryDirectory() as empty:
        floors = [timed_stages(FLOOR_CODE, bytecode_from=Path(empty))[0].wall for _ in range(repeat)]
        imported = f"import {handler_module(task.handler)}"
        handlers = [timed_stages(imported, bytecode_from=Path(empty))[0].wall for _ in range(repeat)]
    return [
        "Without any bytecode (a bundle synthesized where `python3.14` is not on `PATH` has none, so "
        "on Lambda the dependencies compile on every cold start too; the synth prints a note): floor "
        f"**{median(floors) * 1000:.0f} ms**, {task.name} **{median(handlers) * 1000:.0f} ms** "
        f"(medians of {repeat}). A deployer with `python3.14` (the runtime's version) on `PATH` gets "
        "a bundle compiled by it, so a cold function loads bytecode as in the table above and saves "
        "most of that."
    ]


def row(task: LambdaTask, taken: Samples) -> list[str]:
    return [
        task.name,
        f"`{task.handler}`",
        f"{taken.wall_ms(taken.handler):.0f}",
        f"{taken.wall_ratio(taken.handler):.2f}x",
        f"{taken.cpu_ratio(taken.handler):.2f}x",
        f"{taken.wall_ms(taken.first_request):.0f}",
        f"{taken.wall_ratio(taken.first_request):.2f}x",
    ]


def verdict(ratio: float) -> str:
    return "met" if ratio <= TARGET_RATIO else "missed"


def package_section() -> list[str]:
    found = bundles()
    if not found:
        return ["Deployment package: no CDK bundle in `cdk.out` (run a synth first); not measured."]
    rows = []
    for folder in sorted(set(found.values())):
        unzipped, zipped = package_sizes(folder)
        users = sum(1 for bundle in found.values() if bundle == folder)
        rows.append([f"`{folder.name[:22]}...`", str(users), f"{unzipped:.1f}", f"{zipped:.1f}"])
    return [
        "Deployment package (every function of the stack shares the one CDK bundle in `cdk.out`):",
        table(["asset", "functions", "unzipped, MB", "zipped (deflate), MB"], rows),
    ]


def render(tasks: Sequence[LambdaTask], repeat: int) -> str:
    return "\n\n".join(
        [provenance(command_line("cold_start")), *timing_section(tasks, repeat), *package_section()]
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7, help="fresh interpreters per measurement")
    parser.add_argument("--task", action="append", help="only this task (by name); repeatable")
    parser.add_argument("--write", action="store_true", help="replace the section in docs/BENCHMARKS.md")
    args = parser.parse_args()
    tasks = [task for task in LAMBDA_TASKS if not args.task or task.name in args.task]
    if args.write and len(tasks) != len(LAMBDA_TASKS):
        parser.error("--write measures every task: drop --task")
    if project_bytecode():
        print(
            "warning: bytecode caches under functions/ make the handlers load faster than the bundle "
            "does; delete them (find functions -name __pycache__ -exec rm -r {} +) before measuring",
            file=sys.stderr,
        )
    body = render(tasks, args.repeat)
    print(body)
    if args.write:
        write_section("Lambda cold start", body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
