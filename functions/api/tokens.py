"""Opaque page tokens for GET /runs: the index position to continue from, bound to the filters.

A token is only ever decoded into the exact key shape the chosen index uses, so a forged
or damaged token is a 400, never a DynamoDB error.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from functions.api.errors import InvalidInput
from functions.api.models import FieldProblem
from functions.core import names
from functions.core.records import list_index

_MAX_TOKEN = 2048


def encode(key: dict[str, Any], pipeline: str | None, status: str | None) -> str:
    document = {"k": key, "f": [pipeline, status]}
    raw = json.dumps(document, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(token: str, pipeline: str | None, status: str | None) -> dict[str, str]:
    try:
        if len(token) > _MAX_TOKEN:
            raise ValueError("too long")
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        document = json.loads(raw)
        key, filters = document["k"], document["f"]
    except (ValueError, TypeError, KeyError, binascii.Error):
        raise _bad("not a token this API issued") from None
    if filters != [pipeline, status]:
        raise _bad("the token belongs to a listing with other filters")
    index, _ = list_index(pipeline, status)
    expected = {names.PARTITION_KEY, names.SORT_KEY, index.partition_key, index.sort_key}
    if not isinstance(key, dict) or set(key) != expected or not all(isinstance(v, str) for v in key.values()):
        raise _bad("not a token this API issued")
    return key


def _bad(message: str) -> InvalidInput:
    return InvalidInput("invalid page token", [FieldProblem(field="next_token", message=message)])
