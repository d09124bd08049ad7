"""No import cycle among the modules of the project's packages.

A cycle lets one module find another half initialised, and the usual way round it, an import
moved into a function, hides the cycle from a reader without removing it. grimp records imports
wherever they stand (inside functions and under TYPE_CHECKING too), so a cycle found here is
mended by putting code in the layer it belongs to, not by deferring an import. The graph is
built afresh each time (no cache), from every root package `lint-imports` knows.
"""

from __future__ import annotations

import sys
import textwrap
import tomllib
import uuid
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parents[1]
ROOT_PACKAGES: list[str] = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"][
    "root_packages"
]


def import_cycles(graph: grimp.ImportGraph, package: str) -> list[list[str]]:
    """Every set of `package`'s modules that import one another round a ring, each sorted, in order.

    These are the strongly connected components of more than one module (Tarjan's algorithm). A
    module importing itself is no cycle: `python -m package.module` runs a file as `__main__`,
    and it may import the module by its name to reach the one copy the rest of the package uses.
    """
    modules = {package} | graph.find_descendants(package)
    index: dict[str, int] = {}
    lowest: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = lowest[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in graph.find_modules_directly_imported_by(module) & modules:
            if imported not in index:
                visit(imported)
                lowest[module] = min(lowest[module], lowest[imported])
            elif imported in on_stack:
                lowest[module] = min(lowest[module], index[imported])
        if lowest[module] == index[module]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == module:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for module in sorted(modules):
        if module not in index:
            visit(module)
    return sorted(cycles)


def describe(graph: grimp.ImportGraph, cycle: list[str]) -> str:
    """The modules of `cycle` and each import that joins two of them, with its line."""
    lines = [f"import cycle among {', '.join(cycle)}:"]
    for importer in cycle:
        for imported in sorted(graph.find_modules_directly_imported_by(importer) & set(cycle)):
            if imported == importer:
                continue
            for detail in graph.get_import_details(importer=importer, imported=imported):
                lines.append(
                    f"  {importer} -> {imported} (l.{detail['line_number']}: {detail['line_contents']})"
                )
    return "\n".join(lines)


@pytest.fixture(scope="module")
def project_graph() -> grimp.ImportGraph:
    return grimp.build_graph(*ROOT_PACKAGES, cache_dir=None)


@pytest.mark.parametrize("package", ROOT_PACKAGES)
def test_no_import_cycle(project_graph: grimp.ImportGraph, package: str) -> None:
    cycles = import_cycles(project_graph, package)
    assert not cycles, "\n".join(describe(project_graph, cycle) for cycle in cycles)


# --- the cycle finder itself, on throwaway packages ----------------------------------------------


def _package(root: Path, modules: dict[str, str]) -> str:
    """Write a package of `modules` (name -> source) under `root`; its name, unique to the test."""
    name = f"throwaway_{uuid.uuid4().hex[:12]}"
    (root / name).mkdir()
    (root / name / "__init__.py").write_text("")
    for module, source in modules.items():
        (root / name / f"{module}.py").write_text(textwrap.dedent(source).replace("PKG", name))
    return name


@pytest.fixture
def packages_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.syspath_prepend(str(tmp_path))
    return tmp_path


def test_the_finder_names_every_cycle_however_the_import_is_hidden(packages_root: Path) -> None:
    package = _package(
        packages_root,
        {
            # A ring of three at module level.
            "a": "from PKG import b\n",
            "b": "from PKG import c\n",
            "c": "from PKG import a\n",
            # An import deferred into a function closes a ring all the same.
            "d": "from PKG import e\n",
            "e": "def later():\n    from PKG import d\n",
            # So does one made only for the type checker.
            "f": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from PKG import g\n",
            "g": "from PKG import f\n",
            # Importing a ring, or oneself, makes no ring.
            "h": "from PKG import a\nif __name__ == '__main__':\n    from PKG import h\n",
        },
    )
    graph = grimp.build_graph(package, cache_dir=None)

    cycles = import_cycles(graph, package)

    assert cycles == [
        [f"{package}.a", f"{package}.b", f"{package}.c"],
        [f"{package}.d", f"{package}.e"],
        [f"{package}.f", f"{package}.g"],
    ]
    report = describe(graph, cycles[1])
    assert f"{package}.d, {package}.e" in report
    assert f"{package}.e -> {package}.d (l.2: from {package} import d)" in report


def test_the_finder_passes_a_package_without_cycles(packages_root: Path) -> None:
    package = _package(
        packages_root,
        {
            "low": "VALUE = 1\n",
            "middle": "from PKG import low\n",
            "high": "from PKG import low, middle\n",
        },
    )
    graph = grimp.build_graph(package, cache_dir=None)

    assert import_cycles(graph, package) == []
    assert f"{package}.high" in graph.modules
    assert package not in sys.modules  # read from its files, never imported
