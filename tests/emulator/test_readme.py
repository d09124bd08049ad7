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
