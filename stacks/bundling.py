"""The task functions' code asset, bundled on this machine without Docker.

pip installs the pinned requirements as wheels built for the Lambda platform (never
for the machine running the synth), then the `functions` package is copied next to
them, so handlers import as `functions.handlers.<module>.handler`. All functions share
the one asset: it is bundled once per synth, and not at all when `cdk.out` already
holds a bundle with the same hash (functions source + requirements + platform).
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
REQUIREMENTS = Path(__file__).with_name("lambda-requirements.txt")

RUNTIME = lambda_.Runtime.PYTHON_3_14
# Graviton: cheaper per GB-second, and every pinned wheel is published for it.
ARCHITECTURE = lambda_.Architecture.ARM_64
PIP_PLATFORM = "manylinux2014_aarch64"

_SKIPPED = shutil.ignore_patterns("__pycache__", "*.pyc", ".mypy_cache", ".pytest_cache")


class BundlingError(RuntimeError):
    """pip could not install the Lambda requirements; the message carries pip's output."""


def runtime_python_version() -> str:
    """'3.14' for python3.14: pip must pick wheels for the runtime's CPython, not ours."""
    return RUNTIME.name.removeprefix("python")


@jsii.implements(ILocalBundling)
class PipLocalBundling:
    def __init__(self, *, package_dir: Path, requirements: Path) -> None:
        self._package_dir = package_dir
        self._requirements = requirements

    def try_bundle(self, output_dir: str, *, image: DockerImage, **_options: Any) -> bool:
        output = Path(output_dir)
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
        shutil.copytree(
            self._package_dir, output / self._package_dir.name, ignore=_SKIPPED, dirs_exist_ok=True
        )
        return True


def bundle_hash(package_dir: Path = FUNCTIONS_PACKAGE, requirements: Path = REQUIREMENTS) -> str:
    """Changes whenever the bundle would: any source file, the pins, the runtime or the platform."""
    digest = hashlib.sha256()
    for part in (RUNTIME.name, PIP_PLATFORM, requirements.read_text(encoding="utf-8")):
        digest.update(part.encode() + b"\0")
    for path in sorted(package_dir.rglob("*")):
        relative = path.relative_to(package_dir)
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
            local=PipLocalBundling(package_dir=FUNCTIONS_PACKAGE, requirements=REQUIREMENTS),
        ),
    )
