"""Fixtures for the tests that drive the emulator's HTTP front with real clients."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import ExitStack

import pytest

from appstream_emulator.clock import ManualClock
from appstream_emulator.core import Emulator
from appstream_emulator.scenario import Scenario
from appstream_emulator.server import serve_in_thread


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def serve_emulator(clock: ManualClock, caplog: pytest.LogCaptureFixture) -> Iterator[Callable[..., str]]:
    """Starts emulators on `clock` over HTTP for the test: `serve_emulator(scenario=None)` -> its URL.

    Each request served is logged, for `protocols_served`.
    """
    caplog.set_level(logging.DEBUG, logger="appstream_emulator.wire")
    with ExitStack() as servers:

        def serve(scenario: Scenario | None = None) -> str:
            return servers.enter_context(serve_in_thread(Emulator(scenario, clock=clock)))

        yield serve


@pytest.fixture
def endpoint(serve_emulator: Callable[..., str]) -> str:
    return serve_emulator()


def protocols_served(caplog: pytest.LogCaptureFixture) -> set[str]:
    """The protocols the emulator answered in, from its per-request log line."""
    served = [record.getMessage() for record in caplog.records if record.msg == "served %s via %s"]
    return {message.rsplit(" via ", 1)[1] for message in served}
