"""The README's and the docs' account of the emulator matches the emulator."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

from appstream_emulator.operations import OPERATIONS

PROJECT_ROOT = Path(__file__).resolve().parents[2]
README = PROJECT_ROOT / "README.md"
DOCS = [README, *sorted((PROJECT_ROOT / "docs").glob("*.md"))]
_MODULE_PATH = re.compile(r"appstream_emulator/[\w/]*(?:\.py)?")
_DOTTED_NAME = re.compile(r"`(appstream_emulator(?:\.\w+)+)")


def test_the_readme_counts_the_registered_operations() -> None:
    counts = re.findall(r"emulates the (\d+) operations", README.read_text(encoding="utf-8"))
    assert counts, "README.md no longer says how many operations the emulator emulates"
    assert [int(count) for count in counts] == [len(OPERATIONS)] * len(counts)


def test_the_readme_gives_clients_of_the_http_front_credentials_to_sign_with() -> None:
    text = README.read_text(encoding="utf-8")
    section = text[text.index("### The AppStream emulator on its own") :]
    section = section[: section.index("\n## ")]
    commands = [
        line for line in section.splitlines() if "--endpoint-url" in line or "AWS_ENDPOINT_URL" in line
    ]
    assert commands
    assert "AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test" in section
    assert "Unable to locate credentials" in section


def _resolves(dotted: str) -> bool:
    """Whether `dotted` is a module of the emulator, or a name in one."""
    parts = dotted.split(".")
    for split in range(len(parts), 0, -1):
        try:
            found: object = importlib.import_module(".".join(parts[:split]))
        except ModuleNotFoundError:
            continue
        for name in parts[split:]:
            if not hasattr(found, name):
                return False
            found = getattr(found, name)
        return True
    return False


def test_the_docs_name_emulator_modules_that_exist() -> None:
    named = [(doc.name, path) for doc in DOCS for path in _MODULE_PATH.findall(doc.read_text("utf-8"))]
    dotted = [(doc.name, name) for doc in DOCS for name in _DOTTED_NAME.findall(doc.read_text("utf-8"))]
    assert len(named) > 3 and dotted, "the docs no longer name the emulator's modules: check the patterns"
    assert [(doc, path) for doc, path in named if not (PROJECT_ROOT / path).exists()] == []
    assert [(doc, name) for doc, name in dotted if not _resolves(name)] == []
