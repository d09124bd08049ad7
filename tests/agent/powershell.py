"""A PowerShell script read with the tree-sitter PowerShell grammar: what tests check statically.

PowerShell cannot run on the project's Linux machines, so the agent's scripts are
parsed with a real PowerShell grammar instead, and their functions, the commands they
call, the document fields they read and the document fields they write are taken from
the syntax tree rather than from text searches.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import tree_sitter
import tree_sitter_powershell

LANGUAGE = tree_sitter.Language(tree_sitter_powershell.language())
AGENT_DIR = Path(__file__).resolve().parents[2] / "agent"


def _text(node: tree_sitter.Node) -> str:
    return (node.text or b"").decode("utf-8")


def walk(node: tree_sitter.Node) -> Iterator[tree_sitter.Node]:
    yield node
    for child in node.children:
        yield from walk(child)


def unquote(text: str) -> str:
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    return text


@dataclass(frozen=True)
class SyntaxProblem:
    kind: str  # ERROR or MISSING
    line: int
    column: int
    text: str

    def __str__(self) -> str:
        return f"{self.kind} at line {self.line}, column {self.column}: {self.text!r}"


@dataclass(frozen=True)
class Command:
    name: str
    parameters: tuple[str, ...]  # without the leading dash, as written
    line: int


@dataclass
class Script:
    source: str
    tree: tree_sitter.Tree = field(init=False)

    def __post_init__(self) -> None:
        self.tree = tree_sitter.Parser(LANGUAGE).parse(self.source.encode("utf-8"))

    @classmethod
    def load(cls, name: str) -> Script:
        return cls((AGENT_DIR / name).read_text(encoding="utf-8"))

    def problems(self) -> list[SyntaxProblem]:
        """Every ERROR and MISSING node: the grammar could not read the script there."""
        found = []
        for node in walk(self.tree.root_node):
            if node.type == "ERROR" or node.is_missing:
                kind = "MISSING" if node.is_missing else "ERROR"
                line, column = node.start_point
                found.append(SyntaxProblem(kind, line + 1, column + 1, _text(node)[:80]))
        return found

    @cached_property
    def functions(self) -> dict[str, tree_sitter.Node]:
        found = {}
        for node in walk(self.tree.root_node):
            if node.type == "function_statement":
                name = next(child for child in node.children if child.type == "function_name")
                found[_text(name)] = node
        return found

    def function(self, name: str) -> tree_sitter.Node:
        if name not in self.functions:
            raise AssertionError(f"the script defines no function {name}")
        return self.functions[name]

    def commands(self, node: tree_sitter.Node | None = None) -> list[Command]:
        """Commands under `node` (cmdlets, functions, `& 'program'`), with their named parameters."""
        found = []
        for command in walk(node or self.tree.root_node):
            if command.type != "command":
                continue
            names = [
                child for child in command.children if child.type in {"command_name", "command_name_expr"}
            ]
            if not names:
                continue
            parameters: list[str] = []
            for elements in command.children:
                if elements.type == "command_elements":
                    parameters += [
                        _text(child).lstrip("-").rstrip(":")
                        for child in elements.children
                        if child.type == "command_parameter"
                    ]
            found.append(Command(unquote(_text(names[0])), tuple(parameters), command.start_point[0] + 1))
        return found

    @staticmethod
    def hash_literal_keys(node: tree_sitter.Node) -> list[list[str]]:
        """The keys of every hash literal under `node`, one list per literal, as written."""
        literals = []
        for literal in walk(node):
            if literal.type != "hash_literal_expression":
                continue
            body = next((child for child in literal.children if child.type == "hash_literal_body"), None)
            entries = [] if body is None else [child for child in body.children if child.type == "hash_entry"]
            keys = [
                unquote(_text(next(part for part in entry.children if part.type == "key_expression")))
                for entry in entries
            ]
            literals.append(keys)
        return literals

    @staticmethod
    def member_paths(node: tree_sitter.Node, root: str) -> set[tuple[str, ...]]:
        """Member-access chains on variable `root` under `node` (longest chains only): `$job.image.name`."""
        paths = set()
        for access in walk(node):
            if access.type != "member_access" or (access.parent and access.parent.type == "member_access"):
                continue
            names: list[str] = []
            current: tree_sitter.Node | None = access
            while current is not None and current.type == "member_access":
                member = next(child for child in current.children if child.type == "member_name")
                names.insert(0, _text(member))
                current = current.children[0]
            if current is not None and current.type == "variable" and _text(current).lower() == root.lower():
                paths.add(tuple(names))
        return paths

    @staticmethod
    def string_literals(node: tree_sitter.Node) -> list[str]:
        return [unquote(_text(item)) for item in walk(node) if item.type == "string_literal"]

    @staticmethod
    def string_literals_with_lines(node: tree_sitter.Node) -> list[tuple[int, str]]:
        """String literals under `node` with their 1-based line."""
        return [
            (item.start_point[0] + 1, unquote(_text(item)))
            for item in walk(node)
            if item.type == "string_literal"
        ]
