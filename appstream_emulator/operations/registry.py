"""Operation name -> handler. Handlers take the account and the request and return the response."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..domain.account import Account

Handler = Callable[[Account, dict[str, Any]], dict[str, Any]]

OPERATIONS: dict[str, Handler] = {}


def operation(name: str) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        OPERATIONS[name] = handler
        return handler

    return register
