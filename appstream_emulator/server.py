"""The HTTP front: one emulator served over HTTP to the AWS CLI, SDKs and anything else.

It speaks both protocols AppStream clients use (`smithy-rpc-v2-cbor` and awsJson1_1,
see `wire`) on the same port. It does not verify SigV4 signatures: any credentials
are accepted, the account is the emulator's own, and the region is the one the
request was signed for (its own for an unsigned request). It is a local test double;
bind it to 127.0.0.1.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

from appstream_emulator import image_assistant
from appstream_emulator.errors import AppStreamError
from appstream_emulator.wire import Core, WireRequest, WireResponse, detect_protocol, encode_error, handle

if TYPE_CHECKING:
    from appstream_emulator.core import Emulator

logger = logging.getLogger(__name__)

# No AppStream request comes near this; anything bigger is refused before it is read.
MAX_BODY_BYTES = 10 * 1024 * 1024
# An idle keep-alive connection is closed after this many seconds.
IDLE_TIMEOUT_SECONDS = 60


class EmulatorServer(ThreadingHTTPServer):
    """A threaded HTTP server over one emulator; `close()` stops it and drops open connections."""

    daemon_threads = True

    def __init__(self, core: Core, host: str = "127.0.0.1", port: int = 0) -> None:
        self.core = core
        self._connections: set[Any] = set()
        self._connections_lock = threading.Lock()
        if ":" in host:
            self.address_family = socket.AF_INET6
        super().__init__((host, port), _RequestHandler)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        host = host.decode() if isinstance(host, bytes) else host
        return f"http://{f'[{host}]' if ':' in host else host}:{port}"

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client hanging up mid-request is routine for a local server, not worth a traceback.
        logger.debug("connection from %s ended abruptly", client_address, exc_info=True)

    def close(self) -> None:
        """Stop serving (call from another thread than `serve_forever`'s) and release the port."""
        self.shutdown()
        self.drop_connections()
        self.server_close()

    def drop_connections(self) -> None:
        # Keep-alive clients would otherwise hold handler threads open after shutdown.
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


class _RequestHandler(BaseHTTPRequestHandler):
    # HTTP/1.1 so botocore's pooled keep-alive connections are reused.
    protocol_version = "HTTP/1.1"
    server_version = "AppStreamEmulator"
    # The headers and the body are separate writes: with Nagle's algorithm the body would wait
    # for the client's delayed ACK of the headers, some 40 ms on every call.
    disable_nagle_algorithm = True
    timeout = IDLE_TIMEOUT_SECONDS
    server: EmulatorServer

    def do_POST(self) -> None:
        self._serve()

    # Other methods get the protocol's error rather than http.server's HTML 501 page.
    do_GET = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_POST

    def do_HEAD(self) -> None:
        self.send_response(405)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _serve(self) -> None:
        body = self._read_body()
        if body is None:
            return
        if self.command == "POST" and self.path == image_assistant.ROUTE:
            status, answer = image_assistant.create_image(self.server.core, body)
            payload = json.dumps(answer).encode()
            headers = {"Content-Type": "application/json", "Content-Length": str(len(payload))}
            self._send(WireResponse(status, headers, payload))
            return
        request = WireRequest(self.command, self.path, dict(self.headers.items()), body)
        self._send(handle(self.server.core, request))

    def _read_body(self) -> bytes | None:
        """The request body, or None after answering a request whose body cannot be read."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self._read_chunked()
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0 or length > MAX_BODY_BYTES:
            self._refuse(413 if length > MAX_BODY_BYTES else 400, "Content-Length is invalid or too large.")
            return None
        return self.rfile.read(length)

    def _read_chunked(self) -> bytes | None:
        chunks: list[bytes] = []
        total = 0
        while True:
            size_line = self.rfile.readline(1024).split(b";", 1)[0].strip()
            try:
                size = int(size_line, 16)
            except ValueError:
                self._refuse(400, "The chunked request body is malformed.")
                return None
            total += size
            if total > MAX_BODY_BYTES:
                self._refuse(413, "The request body is too large.")
                return None
            if size == 0:
                while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return b"".join(chunks)
            chunks.append(self.rfile.read(size))
            self.rfile.readline(1024)

    def _refuse(self, status: int, message: str) -> None:
        """Answer a request that never reached the codec, in the protocol its headers ask for."""
        probe = WireRequest(self.command, self.path, dict(self.headers.items()), b"")
        code = "SerializationException" if status == 400 else "RequestEntityTooLargeException"
        self.close_connection = True
        self._send(encode_error(detect_protocol(probe), AppStreamError(code, message, status)))

    def _send(self, response: WireResponse) -> None:
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(response.body)

    def log_message(self, format: str, *args: object) -> None:
        logger.debug("%s %s", self.address_string(), format % args)


@contextmanager
def serve_in_thread(emulator: Emulator, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Serve `emulator` from a background thread for the block; yields the bound URL."""
    server = EmulatorServer(emulator, host, port)
    # A short poll interval makes shutdown prompt: tests start and stop many servers.
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": 0.05},
        name="appstream-emulator-http",
        daemon=True,
    )
    thread.start()
    try:
        yield server.url
    finally:
        server.close()
        thread.join()
