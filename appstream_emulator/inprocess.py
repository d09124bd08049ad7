"""The in-process front: every botocore AppStream client in the process talks to the emulator.

botocore hands each signed request to the `before-send` event just before it goes
on the network, and sends the first response a handler returns instead. The front
answers `before-send.appstream.*` ahead of every other handler by wrapping
`HierarchicalEmitter.emit`, the class every client's event system is built on, so it
reaches clients of any session, created at any time (Lambda handler code creates
its clients lazily), whatever endpoint they were given. botocore still serialises,
validates, signs, retries and parses as it would against AWS. Other events pass
through untouched, which is how it lives beside moto's `mock_aws`: moto answers
other services from its own `before-send` handler, and never sees AppStream
requests (it would answer them "Not yet implemented").
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.compat import HTTPHeaders
from botocore.credentials import Credentials
from botocore.hooks import HierarchicalEmitter

from appstream_emulator.core import Emulator
from appstream_emulator.wire import WireRequest, handle

_Emit = Callable[..., list[tuple[Any, Any]]]

_EVENT_PREFIX = "before-send.appstream."
_SIGN_PREFIX = "before-sign.appstream."
# Signs a request of a client that found no credentials: the emulator checks no signature, and a
# clean machine (no ~/.aws, no AWS_* variables) should run against it as it is.
_PLACEHOLDER_CREDENTIALS = Credentials("emulated", "emulated")
_lock = threading.Lock()
# The innermost active block's emulator answers; the list unwinds as blocks exit.
_active: list[Emulator] = []
# The `emit` we wrapped; set while `_routed_emit` is anywhere in the chain of wrappers.
_wrapped_emit: _Emit | None = None


@contextmanager
def emulated_appstream(emulator: Emulator | None = None) -> Iterator[Emulator]:
    """Route every AppStream client in the process to `emulator` (a new one if None) for the block."""
    emulator = emulator if emulator is not None else Emulator()
    _push(emulator)
    try:
        yield emulator
    finally:
        _pop(emulator)


def _push(emulator: Emulator) -> None:
    global _wrapped_emit
    with _lock:
        if _wrapped_emit is None:
            _wrapped_emit = HierarchicalEmitter.emit
            HierarchicalEmitter.emit = _routed_emit  # type: ignore[method-assign,assignment]
        _active.append(emulator)


def _pop(emulator: Emulator) -> None:
    global _wrapped_emit
    with _lock:
        # Remove this block's entry even if blocks exit out of order (threads).
        for index in range(len(_active) - 1, -1, -1):
            if _active[index] is emulator:
                del _active[index]
                break
        # Only undo our own patch: if something wrapped `emit` after us, taking ours out
        # would break its chain, so ours stays in it and passes everything through.
        if not _active and HierarchicalEmitter.emit is _routed_emit and _wrapped_emit is not None:
            HierarchicalEmitter.emit = _wrapped_emit  # type: ignore[method-assign]
            _wrapped_emit = None


def _current() -> Emulator | None:
    with _lock:
        return _active[-1] if _active else None


def _routed_emit(emitter: HierarchicalEmitter, event_name: str, **kwargs: Any) -> list[tuple[Any, Any]]:
    if event_name.startswith(_SIGN_PREFIX) and _current() is not None:
        _sign_without_credentials(kwargs)
    emulator = _current() if event_name.startswith(_EVENT_PREFIX) else None
    if emulator is None:
        # Read once: another thread may be ending the last block, which restores the
        # wrapped `emit` onto the class before it clears `_wrapped_emit`.
        wrapped = _wrapped_emit or HierarchicalEmitter.emit
        return wrapped(emitter, event_name, **kwargs)
    request: AWSPreparedRequest = kwargs["request"]
    return [(_routed_emit, _answer(emulator, request))]


def _sign_without_credentials(kwargs: dict[str, Any]) -> None:
    """Give a client without credentials placeholder ones for this request (botocore signs with
    `context["signing"]["request_credentials"]` first); a client with its own keeps them. Nothing
    outside the request changes: the process still has no credentials."""
    signer, request = kwargs.get("request_signer"), kwargs.get("request")
    if request is None or getattr(signer, "_credentials", None) is not None:
        return
    signing = request.context.setdefault("signing", {})
    signing.setdefault("request_credentials", _PLACEHOLDER_CREDENTIALS)


def _answer(emulator: Emulator, request: AWSPreparedRequest) -> AWSResponse:
    wire_response = handle(emulator, _wire_request(request))
    headers = HTTPHeaders()
    for name, value in wire_response.headers.items():
        headers[name] = value
    return AWSResponse(request.url, wire_response.status, headers, _Body(wire_response.body))


def _wire_request(request: AWSPreparedRequest) -> WireRequest:
    body = request.body
    if body is None:
        data = b""
    elif isinstance(body, bytes | bytearray):
        data = bytes(body)
    elif isinstance(body, str):
        data = body.encode("utf-8")
    else:  # a file-like body
        content = body.read()
        data = content.encode("utf-8") if isinstance(content, str) else content
    headers = {
        key: value.decode("latin-1") if isinstance(value, bytes) else str(value)
        for key, value in request.headers.items()
    }
    return WireRequest(request.method, urlsplit(request.url).path, headers, data)


class _Body:
    """The raw body botocore's AWSResponse reads through `stream()`."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self, **_: object) -> Iterator[bytes]:
        yield self._data
