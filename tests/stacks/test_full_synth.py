"""`python app.py` exactly as `npx cdk synth` runs it, Lambda bundling included.

The bundle is cached between runs under .venv (pip's wheel cache and the last bundle
with the same hash), so only the first run after a change to `functions/` or the pins
downloads and installs wheels.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from functions import workflows
from stacks.bundling import PROJECT_ROOT, runtime_interpreter, runtime_python_version

OUTDIR = PROJECT_ROOT / ".venv" / "cdk-bundled-synth"


def _bundle_dirs(outdir: Path) -> set[Path]:
    manifest = json.loads(next(outdir.glob("*.assets.json")).read_text())
    return {
        outdir / f["source"]["path"]
        for f in manifest["files"].values()
        if f["source"]["path"].startswith("asset.")
    }


def test_app_synthesizes_with_its_lambda_bundle() -> None:
    env = {**os.environ, "CDK_OUTDIR": str(OUTDIR), "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20"}
    started = time.monotonic()
    run = subprocess.run(
        [sys.executable, "app.py"], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True
    )
    elapsed = time.monotonic() - started
    assert run.returncode == 0, run.stderr[-4000:]
    print(f"full synth with bundling: {elapsed:.1f}s")

    bundles = _bundle_dirs(OUTDIR)
    for stale in set(OUTDIR.glob("asset.*")) - bundles:  # keep the cache to the current bundle
        shutil.rmtree(stale) if stale.is_dir() else stale.unlink()
    (bundle,) = bundles
    for task in workflows.LAMBDA_TASKS:
        module = task.handler.rsplit(".", 1)[0]
        assert bundle.joinpath(*module.split(".")).with_suffix(".py").is_file(), task.handler
    version = runtime_python_version().replace(".", "")
    native = list((bundle / "pydantic_core").glob("*.so"))
    assert native and all(f"cpython-{version}-aarch64-linux-gnu" in path.name for path in native), native
    botocore = next(bundle.glob("botocore-*.dist-info")).name.split("-")[1]
    assert tuple(int(part) for part in botocore.split(".")[:3]) >= (1, 40, 75)
    # Bytecode only from the runtime's Python, and only when it is on PATH.
    bytecode = list(bundle.rglob("*.pyc"))
    assert all(f".cpython-{version}.pyc" in path.name for path in bytecode), "bytecode of another Python"
    assert bool(bytecode) == (runtime_interpreter(runtime_python_version()) is not None)
