"""What the HTTP stand-ins share: a quiet keep-alive handler, a threaded loopback server
that starts and stops the same way for each, query parsing, and injected faults."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol, Self, TypeVar
from urllib.parse import parse_qs

log = logging.getLogger(__name__)


class QuietHandler(BaseHTTPRequestHandler):
    """HTTP/1.1 keep-alive, no access log on stderr, and no noise when clients hang up.
    `owner` is the stand-in that serves it (set by `LoopbackServer`)."""

    protocol_version = "HTTP/1.1"
    label = "stand-in"
    owner: Any

    def read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def lower_headers(self) -> dict[str, str]:
        return {k.lower(): v for k, v in self.headers.items()}

    def reply(
        self,
        status: int,
        body: bytes,
        headers: dict[str, str] | None = None,
        content_type: str = "application/json",
    ) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout test); nothing to tell it

    def handle(self) -> None:
        try:
            super().handle()
        except (ConnectionResetError, BrokenPipeError):
            pass  # a client dropped a kept-alive connection

    def log_message(self, format: str, *args: Any) -> None:
        log.debug(self.label + ": " + format, *args)


class ApiHandler(QuietHandler):
    """Every method goes to the owner's `answer(method, path, headers, body, client_ip)`,
    which returns the status, extra headers and the body to send."""

    def _serve(self) -> None:
        body = self.read_body()
        status, extra, data = self.owner.answer(
            self.command, self.path, self.lower_headers(), body, self.client_address[0]
        )
        self.reply(status, data, extra)

    do_GET = do_POST = do_PUT = do_DELETE = _serve


class _Server(ThreadingHTTPServer):
    # Hundreds of requests held open at once (a flood of sync runs) connect in bursts:
    # the default backlog of 5 reset some of them before they were accepted.
    request_queue_size = 256
    daemon_threads = True


class LoopbackServer:
    """A stand-in served by a threaded HTTP server on loopback: `start()` serves it from a
    daemon thread, `stop()` closes it, and it works as a context manager. `url` is the
    address clients are given (`base` plus the API's `base_path`)."""

    base_path = ""
    thread_name = "stand-in"

    def __init__(self, handler: type[QuietHandler], host: str, port: int) -> None:
        bound = type("Handler", (handler,), {"owner": self})
        self.server = _Server((host, port), bound)

    @property
    def base(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def url(self) -> str:
        return self.base + self.base_path

    def start(self) -> Self:
        threading.Thread(
            target=self.server.serve_forever, args=(0.05,), name=self.thread_name, daemon=True
        ).start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def query_params(query: str, keep_blank: bool = False) -> dict[str, str]:
    """A query string as a dict; a repeated name keeps its last value."""
    return {k: v[-1] for k, v in parse_qs(query, keep_blank_values=keep_blank).items()}


class Countdown(Protocol):
    times: int


F = TypeVar("F", bound=Countdown)


def take_fault(
    faults: list[F], lock: threading.RLock, matches: Callable[[F], bool]
) -> F | None:
    """The first injected fault that still has `times` left and matches; it is used once."""
    with lock:
        for fault in faults:
            if fault.times > 0 and matches(fault):
                fault.times -= 1
                return fault
    return None
