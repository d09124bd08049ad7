"""Reading the Cause of a caught error: light, so every workflow's tasks can use it."""

from __future__ import annotations

import json
from typing import Any


def cause_message(cause: Any) -> str:
    """The error message inside a Catch's Cause (a Lambda error document, or plain text)."""
    if not isinstance(cause, str):
        return "no cause given"
    try:
        parsed = json.loads(cause)
    except ValueError:
        return cause
    if isinstance(parsed, dict) and "errorMessage" in parsed:
        return str(parsed["errorMessage"])
    if isinstance(parsed, dict) and "ExecutionArn" in parsed:  # a workflow this one started failed
        return f"{parsed.get('Error', 'Unknown')}: {cause_message(parsed.get('Cause'))}"
    return cause
