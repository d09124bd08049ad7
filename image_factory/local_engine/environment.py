"""Process environment and caches for in-process handlers, set for the engine's lifetime only."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager

from functions.core import clients, settings, timeutil


@contextmanager
def environment_variables(values: Mapping[str, str]) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, previous in saved.items():
            if previous is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = previous


@contextmanager
def fresh_function_caches() -> Iterator[None]:
    """Handlers cache clients and settings per process (a warm Lambda); each engine starts cold."""
    clients.reset()
    settings.get_settings.cache_clear()
    try:
        yield
    finally:
        clients.reset()
        settings.get_settings.cache_clear()


@contextmanager
def functions_clock(now_epoch: Callable[[], float]) -> Iterator[None]:
    """Route `functions.core.timeutil` (the functions' only source of time) to the simulated clock."""
    timeutil.set_clock(now_epoch)
    try:
        yield
    finally:
        timeutil.reset_clock()
