"""Keep what in-process Lambda handlers print out of the CLI's own output.

On AWS a handler's stdout/stderr go to CloudWatch Logs. In-process they would land
in the middle of `--json` documents and progress lines, so while the engine runs
`sys.stdout`/`sys.stderr` are routed per thread: writes made during a Lambda
invocation go to that invocation's log buffer, everything else passes through.
Loggers created during a run keep a reference to the router (powertools binds its
stream when the logger is created), so after the engine exits the router forwards
to whatever the current stream is.
"""

from __future__ import annotations

import io
import logging
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

_capture = threading.local()


class _ThreadRoutedStream(io.TextIOBase):
    def __init__(self, name: str, original: TextIO) -> None:
        super().__init__()
        self._name = name
        self._original = original

    def _target(self) -> TextIO:
        current: TextIO = getattr(sys, self._name)
        return self._original if current is self else current

    def write(self, text: str) -> int:
        buffer: list[str] | None = getattr(_capture, "buffer", None)
        if buffer is not None:
            buffer.append(text)
            return len(text)
        return self._target().write(text)

    def flush(self) -> None:
        self._target().flush()

    def isatty(self) -> bool:
        return self._target().isatty()

    def fileno(self) -> int:
        return self._target().fileno()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self._target(), "encoding", "utf-8")

    def writable(self) -> bool:
        return True


@contextmanager
def routed_standard_streams() -> Iterator[None]:
    """Install the per-thread routing of stdout and stderr until exit."""
    originals = {"stdout": sys.stdout, "stderr": sys.stderr}
    for name, stream in originals.items():
        setattr(sys, name, _ThreadRoutedStream(name, stream))
    try:
        yield
    finally:
        for name, stream in originals.items():
            setattr(sys, name, stream)


@contextmanager
def captured_output() -> Iterator[list[str]]:
    """Collect what this thread writes to stdout/stderr (while routing is installed)."""
    _route_replaced_streams()
    previous = getattr(_capture, "buffer", None)
    buffer: list[str] = []
    _capture.buffer = buffer
    try:
        yield buffer
    finally:
        _capture.buffer = previous


def _route_replaced_streams() -> None:
    """Route again a stream someone replaced while the engine runs (a caller capturing the
    console, as pytest's capsys does): otherwise a handler's output would bypass routing and
    land in the middle of that caller's output."""
    for name in ("stdout", "stderr"):
        current = getattr(sys, name)
        if not isinstance(current, _ThreadRoutedStream):
            setattr(sys, name, _ThreadRoutedStream(name, current))


class _Collector(logging.Handler):
    def __init__(self, records: list[str]) -> None:
        super().__init__(logging.DEBUG)
        self._records = records

    def emit(self, record: logging.LogRecord) -> None:
        self._records.append(self.format(record))


@contextmanager
def collected_interpreter_log(records: list[str]) -> Iterator[None]:
    """Keep the interpreter's own error log (a failed state's details) off the terminal.

    A failing run is an expected outcome here; its error and cause are in the execution
    history and the run record. The log lines are kept in `records` for debugging.
    """
    logger = logging.getLogger("moto.stepfunctions.parser")
    handler = _Collector(records)
    previous_propagate = logger.propagate
    logger.addHandler(handler)
    logger.propagate = False
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.propagate = previous_propagate
