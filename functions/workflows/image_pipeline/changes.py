"""Asking AppStream for a change that cleanup makes, and noting what it did."""

from __future__ import annotations

from typing import Any, Literal

from functions.core import appstream
from functions.core.errors import ImageFactoryError

# How AppStream answered a stop or delete.
Answer = Literal["accepted", "gone", "not_permitted", "not_now"]
NOT_PERMITTED = {"OperationNotPermittedException", "ResourceInUseException"}


def ask(action: str, operation: Any, **params: Any) -> Answer:
    """Ask for a change. A refusal is an answer, not a failure: the resource is gone, its state
    does not allow it, or AppStream is busy with it, throttling or unavailable (ask again later)."""
    try:
        appstream.call(action, operation, **params)
    except ImageFactoryError as error:
        code = appstream.appstream_code(error)
        if code == "ResourceNotFoundException":
            return "gone"
        if code in NOT_PERMITTED:
            return "not_permitted"
        if error.retryable:
            return "not_now"
        raise
    return "accepted"


def note(actions: list[str], action: str) -> None:
    if action not in actions:
        actions.append(action)
