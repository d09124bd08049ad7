"""The README's account of the emulator matches the emulator."""

from __future__ import annotations

import re
from pathlib import Path

from appstream_emulator.operations import OPERATIONS

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_readme_counts_the_registered_operations() -> None:
    counts = re.findall(r"emulates the (\d+) operations", README.read_text(encoding="utf-8"))
    assert counts, "README.md no longer says how many operations the emulator emulates"
    assert [int(count) for count in counts] == [len(OPERATIONS)] * len(counts)
