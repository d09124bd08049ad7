"""How an app block builder moves between states once a start or a stop sets it going."""

from __future__ import annotations

from .account import Account
from .resources import AppBlockBuilder


def begin_start(account: Account, builder: AppBlockBuilder) -> None:
    """STARTING -> RUNNING."""
    _begin(account, builder, "STARTING", "RUNNING", "app_block_builder_start")


def begin_stop(account: Account, builder: AppBlockBuilder) -> None:
    """STOPPING -> STOPPED."""
    _begin(account, builder, "STOPPING", "STOPPED", "app_block_builder_stop")


def _begin(account: Account, builder: AppBlockBuilder, moving: str, settled: str, phase: str) -> None:
    builder.redirect(moving)
    account.after(phase, lambda when: setattr(builder, "state", settled), builder, account.now)
