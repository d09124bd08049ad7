"""Lambda cold start: import and initialisation of every task handler, against a floor.

    .venv/bin/python -m benchmarks.cold_start [--repeat 7] [--write]

Each measurement is a fresh interpreter that times (perf_counter, interpreter start-up
excluded) the import of one handler module. The floor, measured in the same run, is what
any Python Lambda of this kind pays anyway: import boto3 and pydantic, create an AppStream
client and a DynamoDB resource. Medians of `--repeat` interpreters each. The deployment
package comes from the CDK bundle in `cdk.out`, when a synth has left one.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

from benchmarks.report import command_line, median, provenance, table, write_section
from functions.catalog import LAMBDA_TASKS

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CDK_OUT = PROJECT_ROOT / "cdk.out"
TARGET_RATIO = 1.15

FLOOR_CODE = """
import boto3, pydantic
boto3.client("appstream")
boto3.resource("dynamodb")
"""
TIMED = """
import time
started = time.perf_counter()
exec(compile({code!r}, "<measured>", "exec"))
print(time.perf_counter() - started)
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
}


def timed_import(code: str) -> float:
    completed = subprocess.run(
        [sys.executable, "-c", TIMED.format(code=code)],
        cwd=PROJECT_ROOT,
        env={**os.environ, **ENVIRONMENT},
        capture_output=True,
        text=True,
        check=True,
    )
    return float(completed.stdout.strip().splitlines()[-1])


def median_seconds(code: str, repeat: int) -> float:
    return median([timed_import(code) for _ in range(repeat)])


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


def render(repeat: int) -> str:
    floor = median_seconds(FLOOR_CODE, repeat)
    rows = []
    worst = 0.0
    for task in LAMBDA_TASKS:
        seconds = median_seconds(f"import {handler_module(task.handler)}", repeat)
        worst = max(worst, seconds / floor)
        rows.append([task.name, f"`{task.handler}`", f"{seconds * 1000:.0f}", f"{seconds / floor:.2f}x"])
    verdict = "met" if worst <= TARGET_RATIO else "missed"
    parts = [
        provenance(command_line("cold_start")),
        f"Median of {repeat} fresh interpreters per row. Floor (boto3 + pydantic imported, an "
        f"AppStream client and a DynamoDB resource created): **{floor * 1000:.0f} ms**.",
        table(["function", "handler", "import + init, ms", "ratio to floor"], rows),
        f"Slowest handler: **{worst:.2f}x** the floor (target <= {TARGET_RATIO}x: {verdict}).",
    ]
    found = bundles()
    if not found:
        parts.append("Deployment package: no CDK bundle in `cdk.out` (run a synth first); not measured.")
    else:
        rows = []
        for folder in sorted(set(found.values())):
            unzipped, zipped = package_sizes(folder)
            users = sum(1 for bundle in found.values() if bundle == folder)
            rows.append([f"`{folder.name[:22]}...`", str(users), f"{unzipped:.1f}", f"{zipped:.1f}"])
        parts += [
            "Deployment package (every function of the stack shares the one CDK bundle in `cdk.out`):",
            table(["asset", "functions", "unzipped, MB", "zipped (deflate), MB"], rows),
        ]
    return "\n\n".join(parts)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7, help="fresh interpreters per measurement")
    parser.add_argument("--write", action="store_true", help="replace the section in docs/BENCHMARKS.md")
    args = parser.parse_args()
    body = render(args.repeat)
    print(body)
    if args.write:
        write_section("Lambda cold start", body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
