"""The task functions' code asset, bundled on this machine without Docker.

pip installs the pinned requirements as wheels built for the Lambda platform (never
for the machine running the synth), then the `functions` package and the agent contract it
writes jobs by (`agent_contract`) are copied next to them, so a task's handler imports as
`functions.workflows.<workflow>.tasks.<state>`. When the runtime's
Python (e.g. `python3.14`) is on PATH, it compiles the whole bundle to bytecode. All
functions share the one asset: it is bundled once per synth, and not at all when
`cdk.out` already holds a bundle with the same hash (functions source + requirements +
platform + whether it has bytecode).
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsii
from aws_cdk import AssetHashType, BundlingOptions, DockerImage, ILocalBundling
from aws_cdk import aws_lambda as lambda_

PROJECT_ROOT = Path(__file__).resolve().parent.parent
FUNCTIONS_PACKAGE = PROJECT_ROOT / "functions"
# Every package the functions import from this project.
BUNDLED_PACKAGES = (FUNCTIONS_PACKAGE, PROJECT_ROOT / "agent_contract")
REQUIREMENTS = Path(__file__).with_name("lambda-requirements.txt")

RUNTIME = lambda_.Runtime.PYTHON_3_14
# Graviton: cheaper per GB-second, and every pinned wheel is published for it.
ARCHITECTURE = lambda_.Architecture.ARM_64
PIP_PLATFORM = "manylinux2014_aarch64"

_SKIPPED = shutil.ignore_patterns("__pycache__", "*.pyc", ".mypy_cache", ".pytest_cache")


class BundlingError(RuntimeError):
    """pip or compileall failed on the Lambda bundle; the message carries their output."""


def runtime_python_version() -> str:
    """'3.14' for python3.14: pip must pick wheels for the runtime's CPython, not ours."""
    return RUNTIME.name.removeprefix("python")


def runtime_interpreter(version: str) -> str | None:
    """The `python<version>` on PATH, or None when there is none that runs as that version.

    Run once to confirm: a pyenv shim exists for every installed version, but fails for
    those the current pyenv selection leaves out.
    """
    found = shutil.which(f"python{version}")
    if found is None:
        return None
    probe = subprocess.run(
        [found, "-c", "import sys; print(sys.implementation.cache_tag)"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    return found if probe.stdout.strip() == f"cpython-{version.replace('.', '')}" else None


def compile_bytecode(bundle_dir: Path, version: str) -> bool:
    """Compile every module of the bundle with `python<version>`; False if there is none.

    Lambda's code directory is read-only, so without bytecode in the bundle a cold start
    compiles every module it imports (botocore, pydantic, ...), each time. Only bytecode
    from the runtime's own minor version is used. unchecked-hash: the asset's zip changes
    the files' timestamps, so timestamp-checked bytecode would look stale on Lambda and be
    compiled again, and checked-hash would read and hash every source on each import.
    """
    interpreter = runtime_interpreter(version)
    if interpreter is None:
        print(
            f"note: no python{version} on PATH, so the Lambda bundle has no bytecode and every cold "
            f"start compiles the modules it imports (about 0.4 s); install Python {version} as "
            f"python{version} to bundle bytecode",
            file=sys.stderr,
        )
        return False
    command = [
        interpreter, "-m", "compileall", "-q", "-j", "0",
        "--invalidation-mode", "unchecked-hash", str(bundle_dir),
    ]  # fmt: skip
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        output = f"{completed.stdout}\n{completed.stderr}".strip()
        raise BundlingError(f"python{version} could not compile the Lambda bundle:\n{output}")
    return True


@jsii.implements(ILocalBundling)
class PipLocalBundling:
    def __init__(self, *, package_dirs: tuple[Path, ...], requirements: Path) -> None:
        self._package_dirs = package_dirs
        self._requirements = requirements

    def try_bundle(self, output_dir: str, *, image: DockerImage, **_options: Any) -> bool:
        output = Path(output_dir)
        # --no-compile: pip would compile with this machine's Python, whose bytecode the
        # runtime ignores; compile_bytecode uses the runtime's.
        command = [
            sys.executable, "-m", "pip", "install",
            "--quiet", "--disable-pip-version-check", "--no-compile",
            "--requirement", str(self._requirements),
            "--target", str(output),
            "--platform", PIP_PLATFORM,
            "--implementation", "cp",
            "--python-version", runtime_python_version(),
            "--only-binary=:all:",
        ]  # fmt: skip
        completed = subprocess.run(command, capture_output=True, text=True, check=False)
        if completed.returncode != 0:
            raise BundlingError(f"pip install for the Lambda bundle failed:\n{completed.stderr.strip()}")
        for package_dir in self._package_dirs:
            shutil.copytree(package_dir, output / package_dir.name, ignore=_SKIPPED, dirs_exist_ok=True)
        compile_bytecode(output, runtime_python_version())
        return True


def bundle_hash(package_dirs: tuple[Path, ...] = BUNDLED_PACKAGES, requirements: Path = REQUIREMENTS) -> str:
    """Changes whenever the bundle would: any source file, the pins, the runtime, the platform,
    or whether it gets bytecode (installing the runtime's Python must replace a cached bundle)."""
    digest = hashlib.sha256()
    bytecode = "bytecode" if runtime_interpreter(runtime_python_version()) else "no bytecode"
    for part in (RUNTIME.name, PIP_PLATFORM, bytecode, requirements.read_text(encoding="utf-8")):
        digest.update(part.encode() + b"\0")
    for path in sorted(path for package_dir in package_dirs for path in package_dir.rglob("*")):
        relative = path.relative_to(PROJECT_ROOT)
        if (
            path.is_file()
            and not _SKIPPED(str(path.parent), [path.name])
            and "__pycache__" not in relative.parts
        ):
            digest.update(str(relative).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def functions_code() -> lambda_.Code:
    """One Code for every task function of a stack (reuse the object: it binds one asset)."""
    return lambda_.Code.from_asset(
        str(FUNCTIONS_PACKAGE),
        asset_hash=bundle_hash(),
        asset_hash_type=AssetHashType.CUSTOM,
        bundling=BundlingOptions(
            # Required by the API, never pulled: local bundling always succeeds or raises.
            image=RUNTIME.bundling_image,
            local=PipLocalBundling(package_dirs=BUNDLED_PACKAGES, requirements=REQUIREMENTS),
        ),
    )
