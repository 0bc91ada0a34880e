"""The HTTP face: POST /slack/events into Bolt, GET /healthz (liveness) and GET /readyz
(readiness) for the host and its monitoring (the only paths in Socket Mode).

Everything hostile is turned away here, before Bolt reads or parses anything: bodies
over 1 MB (by their declared length, and by waitress's own cap for chunked ones), and
requests whose Slack signature does not check out (401, whatever the body holds).
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable

from slack_sdk.signature import SignatureVerifier

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
# Slack's largest payloads (a 100-block modal's state) are tens of KB. Anything bigger is
# refused before it is read: an unsigned 100 MB POST once cost 200 MB of memory.
MAX_BODY_BYTES = 1024 * 1024

Health = Callable[[], tuple[bool, str]]  # (healthy, one line saying why)
PROBES = ("/healthz", "/readyz")


def _answer(start_response, status: str, text: str) -> list[bytes]:
    start_response(status, [("Content-Type", "text/plain; charset=utf-8")])
    return [text.encode() + b"\n"]


def _declared_length(environ) -> int | None:
    try:
        return int(environ.get("CONTENT_LENGTH") or "")
    except ValueError:
        return None


def _signed_body(environ, verifier: SignatureVerifier) -> bytes | None:
    """The body, when Slack's signature over it checks out; None otherwise. A timestamp
    that is not a whole number, or a body that is not UTF-8, is simply not signed."""
    stamp = environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP", "")
    signature = environ.get("HTTP_X_SLACK_SIGNATURE", "")
    if not stamp.isascii() or not stamp.isdigit() or not signature.startswith("v0="):
        return None
    length = _declared_length(environ)
    body = environ["wsgi.input"].read(length if length is not None else MAX_BODY_BYTES + 1)
    try:
        return body if verifier.is_valid(body, stamp, signature) else None
    except (ValueError, UnicodeDecodeError):
        return None


def wsgi_app(
    app,
    *,
    signing_secret: str | None = None,
    health: Health | None = None,
    readiness: Health | None = None,
):
    """Bolt's WSGI adapter behind the checks above. `signing_secret` defaults to the
    app's own; HTTP without one is refused (every request would go unverified)."""
    from slack_bolt.adapter.wsgi import SlackRequestHandler

    secret = signing_secret if signing_secret is not None else getattr(app, "_signing_secret", "")
    if not (secret or "").strip():
        raise ValueError("HTTP mode needs a signing secret: requests would go unverified")
    verifier = SignatureVerifier(secret.strip())
    handler = SlackRequestHandler(app, path=EVENTS_PATH)

    def application(environ, start_response):
        if environ.get("PATH_INFO") in PROBES:
            return probe(environ, start_response, health, readiness)
        if (_declared_length(environ) or 0) > MAX_BODY_BYTES:
            return _answer(start_response, "413 Payload Too Large", "request body too large")
        if environ.get("REQUEST_METHOD") == "POST" and environ.get("PATH_INFO") == EVENTS_PATH:
            body = _signed_body(environ, verifier)
            if body is None:
                return _answer(start_response, "401 Unauthorized", "invalid request")
            if len(body) > MAX_BODY_BYTES:
                return _answer(start_response, "413 Payload Too Large", "request body too large")
            environ["wsgi.input"] = io.BytesIO(body)
            environ["CONTENT_LENGTH"] = str(len(body))
        try:
            return handler(environ, start_response)
        except Exception:  # noqa: BLE001 - a signed payload Bolt itself cannot parse
            log.warning("refused a malformed request (%s)", "Bolt could not parse it")
            return _answer(start_response, "400 Bad Request", "malformed request")

    return application


def health_app(health: Health | None = None, readiness: Health | None = None):
    """Socket Mode's HTTP face: Slack comes over the WebSocket, so only GET /healthz and
    GET /readyz are served, for hosts that expect a web process to answer on PORT (and
    kill it if not) and for monitoring."""

    def application(environ, start_response):
        if environ.get("PATH_INFO") in PROBES:
            return probe(environ, start_response, health, readiness)
        return _answer(
            start_response,
            "404 Not Found",
            "not found: in Socket Mode only GET /healthz and /readyz are here",
        )

    return application


def probe(environ, start_response, health: Health | None, readiness: Health | None):
    if environ.get("PATH_INFO") == "/readyz":
        return _checked(start_response, readiness, "ready", "readiness")
    return _checked(start_response, health, "ok", "health")


def _checked(start_response, check: Health | None, fine: str, name: str) -> list[bytes]:
    if check is None:
        return _answer(start_response, "200 OK", fine)
    try:
        passed, why = check()
    except Exception as exc:  # noqa: BLE001 - a failing check is a failed answer
        passed, why = False, f"{name} check failed ({type(exc).__name__})"
    return _answer(start_response, "200 OK" if passed else "503 Service Unavailable", why)


# Slow and idle connections (N8): waitress's defaults (100 connections, 120 s idle) let
# about 100 silent sockets, or a byte every 5 s, starve Slack's requests. So: room for many
# connections, idle ones closed after CHANNEL_TIMEOUT, and a request whose headers and body
# have not all arrived REQUEST_DEADLINE seconds after its first byte is dropped, however
# steadily it trickles. Put a TLS proxy in front in production (README).
CONNECTION_LIMIT = 2000
CHANNEL_TIMEOUT = 10
REQUEST_DEADLINE = 10.0


def http_server(application, *, host: str, port: int, request_deadline: float = REQUEST_DEADLINE):
    """waitress, with request bodies capped (it answers 413 itself, chunked bodies too) and
    the limits above."""
    from waitress.adjustments import Adjustments
    from waitress.task import ThreadedTaskDispatcher

    adj = Adjustments(
        host=host,
        port=port,
        threads=16,
        ident="bitscale-bot",
        max_request_body_size=MAX_BODY_BYTES,
        connection_limit=CONNECTION_LIMIT,
        channel_timeout=CHANNEL_TIMEOUT,
        cleanup_interval=1,
        # poll(), not select(): select() cannot watch a descriptor numbered 1024 or more,
        # and a long-lived process (or a test run of many bots) gets there.
        asyncore_use_poll=True,
    )
    dispatcher = ThreadedTaskDispatcher()
    dispatcher.set_thread_count(adj.threads)
    # Its own socket map: waitress's default map is shared by every server in the
    # process, so closing one closed the others' sockets.
    server_class = _bounded_server_class()
    server = server_class(application, {}, True, None, dispatcher=dispatcher, adj=adj,
                          sockinfo=adj.listen[0])
    server.request_deadline = request_deadline
    return server


def _bounded_server_class():
    import time

    from waitress.channel import HTTPChannel
    from waitress.server import TcpWSGIServer

    class DeadlineChannel(HTTPChannel):
        """Remembers when the request being received sent its first byte."""

        request_started: float | None = None

        def received(self, data):
            fresh = self.request is None
            result = super().received(data)
            if self.request is None:
                self.request_started = None
            elif fresh or self.request_started is None:
                self.request_started = time.monotonic()
            return result

    class DeadlineServer(TcpWSGIServer):
        channel_class = DeadlineChannel
        request_deadline = REQUEST_DEADLINE

        def maintenance(self, now):
            super().maintenance(now)
            cutoff = time.monotonic() - self.request_deadline
            for channel in list(self.active_channels.values()):
                started = getattr(channel, "request_started", None)
                if started is not None and started < cutoff and not channel.requests:
                    channel.will_close = True

        def close(self):
            # waitress's own close() leaves its worker threads waiting for work: end them
            # too (each finishes the request in hand first), or every server ever closed
            # keeps its 16 idle threads.
            super().close()
            self.task_dispatcher.shutdown(timeout=2)

    return DeadlineServer
