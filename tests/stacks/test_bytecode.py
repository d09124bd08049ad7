"""The bundle's bytecode: compiled by the runtime's Python when it is on PATH, else none.

The runtime's Python (3.14) need not be installed here: these tests stand in any other
version for it, with an interpreter named like the runtime's on a PATH of their own.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from stacks.bundling import compile_bytecode, runtime_interpreter

HERE = f"{sys.version_info.major}.{sys.version_info.minor}"  # the version that stands in
HASH_BASED, CHECK_SOURCE = 0b01, 0b10  # flags of a pyc header (PEP 552)


def _bundle(root: Path) -> Path:
    bundle = root / "bundle"
    (bundle / "pkg").mkdir(parents=True)
    (bundle / "pkg" / "__init__.py").write_text("")
    (bundle / "pkg" / "module.py").write_text("VALUE = 1\n")
    (bundle / "top.py").write_text("import pkg.module\n")
    return bundle


def _path_with(monkeypatch: pytest.MonkeyPatch, root: Path, name: str, target: str | None) -> None:
    """PATH holds only `name`: a link to `target`, or a script failing like a pyenv shim."""
    bin_dir = root / "bin"
    bin_dir.mkdir()
    command = bin_dir / name
    if target is None:
        command.write_text(f"#!/bin/sh\necho 'pyenv: {name}: command not found' >&2\nexit 127\n")
        command.chmod(0o755)
    else:
        command.symlink_to(target)
    monkeypatch.setenv("PATH", str(bin_dir))


def _tree(root: Path) -> set[Path]:
    return {path.relative_to(root) for path in root.rglob("*")}


def test_the_runtime_python_compiles_every_module_to_unchecked_hash_bytecode(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bundle = _bundle(tmp_path)
    _path_with(monkeypatch, tmp_path, f"python{HERE}", sys.executable)

    assert compile_bytecode(bundle, HERE)

    tag = f"cpython-{HERE.replace('.', '')}"
    bytecode = {path.relative_to(bundle): path.read_bytes() for path in bundle.rglob("*.pyc")}
    assert set(bytecode) == {
        Path("__pycache__", f"top.{tag}.pyc"),
        Path("pkg", "__pycache__", f"__init__.{tag}.pyc"),
        Path("pkg", "__pycache__", f"module.{tag}.pyc"),
    }
    for path, data in bytecode.items():
        flags = int.from_bytes(data[4:8], "little")
        assert flags == HASH_BASED, f"{path}: flags {flags:#04b}, not unchecked-hash"
        assert not flags & CHECK_SOURCE


@pytest.mark.parametrize("interpreter", ["absent", "failing shim"])
def test_without_the_runtime_python_the_bundle_is_left_as_it_is_with_a_note(
    interpreter: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    bundle = _bundle(tmp_path)
    if interpreter == "absent":
        monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    else:
        _path_with(monkeypatch, tmp_path, f"python{HERE}", None)
    before = _tree(bundle)

    assert runtime_interpreter(HERE) is None
    assert not compile_bytecode(bundle, HERE)

    assert _tree(bundle) == before
    (note,) = capsys.readouterr().err.splitlines()
    assert f"no python{HERE} on PATH" in note
    assert f"install Python {HERE} as python{HERE}" in note


def test_an_interpreter_of_another_version_under_the_runtime_name_is_not_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _path_with(monkeypatch, tmp_path, "python3.99", sys.executable)

    assert runtime_interpreter("3.99") is None
