"""The small HTTP handler base the two stand-ins share."""

from __future__ import annotations

import logging
from http.server import BaseHTTPRequestHandler
from typing import Any

log = logging.getLogger(__name__)


class QuietHandler(BaseHTTPRequestHandler):
    """HTTP/1.1 keep-alive, no access log on stderr, and no noise when clients hang up."""

    protocol_version = "HTTP/1.1"
    label = "stand-in"

    def read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

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
