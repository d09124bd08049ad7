"""Requests and scenarios given on the command line: a file path, or the name of a bundled example.

The examples ship inside the package (`image_factory/examples/`), so `image-factory run
--local reference --scenario throttling-storm` works from an installed package too.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

import yaml

from appstream_emulator.scenario import Scenario, ScenarioError
from functions.core import documents

Kind = Literal["requests", "scenarios"]
_SUFFIXES: dict[Kind, tuple[str, ...]] = {
    "requests": (".json", ".yaml", ".yml"),
    "scenarios": (".yaml", ".yml", ".json"),
}


class InputError(ValueError):
    """A request or scenario that cannot be read; the message names it and what is wrong."""


# Package data next to this package (installed or editable alike).
EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def examples(kind: Kind) -> Path:
    return EXAMPLES / kind


def example_names(kind: Kind) -> list[str]:
    return sorted(
        entry.name.rsplit(".", 1)[0]
        for entry in examples(kind).iterdir()
        if entry.name.endswith(_SUFFIXES[kind])
    )


def _resolve(kind: Kind, reference: str) -> tuple[str, str]:
    """(label, text) of a file path, or else of a bundled example of that name."""
    path = Path(reference)
    if path.is_file():
        try:
            return str(path), path.read_text(encoding="utf-8")
        except OSError as error:
            raise InputError(f"{path}: cannot read: {error.strerror}") from None
        except UnicodeDecodeError as error:
            raise InputError(f"{path}: not UTF-8 text (byte {error.start}); save it as UTF-8") from None
    for suffix in ("", *_SUFFIXES[kind]):
        entry = examples(kind) / f"{reference}{suffix}"
        if entry.is_file():
            return f"{kind[:-1]} example {reference!r}", entry.read_text(encoding="utf-8")
    available = ", ".join(example_names(kind))
    raise InputError(f"{reference}: no such file, nor a bundled {kind[:-1]} example (examples: {available})")


def _parse(label: str, text: str) -> Any:
    try:
        if text.lstrip().startswith(("{", "[")):
            return documents.loads(text)
        return yaml.load(text, Loader=_UniqueKeyLoader)  # a SafeLoader: builds no objects
    except documents.DuplicateKey as error:
        raise InputError(f"{label}: {error}") from None
    except (json.JSONDecodeError, yaml.YAMLError) as error:
        raise InputError(f"{label}: not valid JSON or YAML: {error}") from None


class _UniqueKeyLoader(yaml.SafeLoader):
    """safe_load, refusing a key written twice in one mapping (YAML keeps the last one)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue  # `<<: *base` and then keys that override it are meant
            key = self.construct_object(key_node, deep=deep)
            if not isinstance(key, str | int | float | bool):
                continue  # an unhashable key: SafeLoader names that mistake itself
            if key in seen:
                raise documents.DuplicateKey(key, f" (line {key_node.start_mark.line + 1})")
            seen.add(key)
        return super().construct_mapping(node, deep)


def load_request_document(reference: str) -> tuple[str, Any]:
    """(label, raw document) of a request; validation is the workflow's `parse_request`'s job
    (`functions.workflows.image_pipeline.request.parse_request` for a pipeline request)."""
    label, text = _resolve("requests", reference)
    return label, _parse(label, text)


def load_scenario(reference: str | None) -> Scenario:
    if reference is None:
        return Scenario()
    label, text = _resolve("scenarios", reference)
    try:
        return Scenario.from_data(_parse(label, text), label)
    except ScenarioError as error:
        raise InputError(str(error)) from None
