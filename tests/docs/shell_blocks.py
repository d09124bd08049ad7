"""The commands of the docs' shell blocks: every line a reader would paste, as argv lists."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DOCS = [PROJECT_ROOT / "README.md", *sorted((PROJECT_ROOT / "docs").glob("*.md"))]
_BLOCK = re.compile(r"^```(?:sh|bash|shell)\n(.*?)^```", re.M | re.S)
CLI = (".venv/bin/image-factory", "image-factory")


@dataclass(frozen=True)
class Command:
    argv: list[str]  # without the program: ["run", "reference", ...]; curl's own for curl
    program: str  # "image-factory" or "curl"
    stdout_to: str | None = None  # `> FILE`

    @property
    def is_synopsis(self) -> bool:
        """A usage line (`start REQUEST | --pipeline NAME [--watch]`): options to check, not a run."""
        return any(token in ("|", "...") or token.startswith("[") for token in self.argv)


@dataclass(frozen=True)
class Block:
    where: str  # file:line, for the test's id
    commands: list[Command]


def blocks() -> list[Block]:
    """Every shell block with an `image-factory` command, in the order of the docs."""
    found = []
    for path in DOCS:
        text = path.read_text(encoding="utf-8")
        for match in _BLOCK.finditer(text):
            commands = [command for line in _lines(match.group(1)) if (command := _command(line))]
            if any(command.program == "image-factory" for command in commands):
                line = text.count("\n", 0, match.start()) + 1
                found.append(Block(f"{path.relative_to(PROJECT_ROOT)}:{line}", commands))
    return found


def _lines(block: str) -> list[str]:
    """Lines with their `\\` continuations joined."""
    return block.replace("\\\n", " ").splitlines()


def _command(line: str) -> Command | None:
    tokens = shlex.split(line, comments=True)
    if not tokens:
        return None
    stdout_to = None
    if ">" in tokens:
        at = tokens.index(">")
        stdout_to, tokens = tokens[at + 1], tokens[:at]
    if tokens[0] in CLI:
        return Command(tokens[1:], "image-factory", stdout_to)
    if tokens[0] == "curl":
        return Command(tokens[1:], "curl", stdout_to)
    return None
