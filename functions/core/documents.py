"""Reading a JSON document a person wrote: a key written twice is refused, not settled silently.

`json.loads` keeps the last of two equal keys, so a request whose second `image_name` was a
mistake would run with it unnoticed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any


class DuplicateKey(ValueError):
    """A key written twice in one object; the message names it."""

    def __init__(self, key: object, where: str = "") -> None:
        super().__init__(f"key {key!r} is written twice{where} (each key may appear once per object)")


def unique_keys(pairs: Iterable[tuple[str, Any]]) -> dict[str, Any]:
    """`object_pairs_hook` for json.loads: the object, or DuplicateKey."""
    document: dict[str, Any] = {}
    for key, value in pairs:
        if key in document:
            raise DuplicateKey(key)
        document[key] = value
    return document


def loads(text: str | bytes) -> Any:
    """json.loads refusing duplicate keys (DuplicateKey; JSONDecodeError as ever)."""
    return json.loads(text, object_pairs_hook=unique_keys)
