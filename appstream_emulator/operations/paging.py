"""NextToken pagination over a listing that is stable between calls (creation order)."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from typing import TypeVar

from ..errors import AppStreamError

T = TypeVar("T")


def page(items: Sequence[T], listing: str, token: str | None, size: int) -> tuple[list[T], str | None]:
    if size < 1:
        raise AppStreamError("ValidationException", f"MaxResults must be positive; got {size}.")
    start = _decode(listing, token) if token else 0
    chunk = list(items[start : start + size])
    end = start + len(chunk)
    return chunk, (_encode(listing, end) if end < len(items) else None)


def _encode(listing: str, offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"l": listing, "o": offset}).encode()).decode()


def _decode(listing: str, token: str) -> int:
    try:
        data = json.loads(base64.urlsafe_b64decode(token.encode()))
        offset = data["o"]
        valid = data["l"] == listing and isinstance(offset, int) and offset >= 0
    except (ValueError, KeyError, TypeError, binascii.Error):
        valid = False
    if not valid:
        raise AppStreamError("ValidationException", "Invalid value for parameter NextToken.")
    return int(offset)
