"""Slack's side of Socket Mode, on loopback, for the Slack stand-in.

What the bot meets is what Slack does: `apps.connections.open` (app-level token in the
Authorization header) hands out a single-use WebSocket URL; on connect Slack sends
`hello`; slash commands, interactivity and events arrive as envelopes
(`{"envelope_id", "type", "payload", "accepts_response_payload"}`, events also with
`retry_attempt`/`retry_reason`); the app acknowledges each by sending `{"envelope_id"}`
back, with a `payload` where the envelope accepts one. Slack asks the app to move on with
`{"type": "disconnect", "reason": "warning" | "refresh_requested"}` and closes the old
connection a little later. An event that was not acknowledged (or found no connection) is
delivered again, with `retry_attempt` counting up, once a connection is there; a command or
an interaction that finds no connection fails for the user, as in Slack.
"""

from __future__ import annotations

import json
import logging
import secrets
import threading
import time
import uuid
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs, urlsplit

from websockets.exceptions import ConnectionClosed
from websockets.sync.server import Server, ServerConnection, serve

log = logging.getLogger(__name__)

ACK_TIMEOUT = 3.0  # Slack waits this long for an acknowledgement
TICKET_TTL = 60.0
# Interactivity whose acknowledgement may carry an answer (errors in a modal, options).
ANSWERING_INTERACTIONS = {"view_submission", "block_suggestion"}


@dataclass
class Ack:
    """What came back for one envelope; shaped like the HTTP answer tests already read."""

    envelope_id: str
    acked: bool
    payload: dict | None = None
    error: str | None = None  # dispatch_failed (no connection) or operation_timeout

    @property
    def status_code(self) -> int:
        return 200 if self.acked else 504

    @property
    def text(self) -> str:
        return json.dumps(self.payload) if self.payload else ""

    def json(self) -> Any:
        return self.payload


@dataclass
class Link:
    """One open WebSocket from the app."""

    number: int
    connection: ServerConnection
    opened_at: float = field(default_factory=time.monotonic)
    ready: bool = False  # hello sent
    refreshing: bool = False  # told to reconnect: no new envelopes go here
    closed: bool = False
    send_lock: threading.Lock = field(default_factory=threading.Lock)

    def send(self, message: dict) -> bool:
        try:
            with self.send_lock:
                self.connection.send(json.dumps(message))
            return True
        except (ConnectionClosed, OSError):
            return False


class SocketModeServer:
    def __init__(self, app_id: str = "A0001", host: str = "127.0.0.1") -> None:
        self.app_id = app_id
        self.lock = threading.RLock()
        self.links: list[Link] = []
        self.tickets: dict[str, float] = {}
        self.acks: dict[str, Ack] = {}
        self.ignored_payloads: list[str] = []  # answers sent where Slack accepts none
        self.pending_events: list[dict] = []  # events owed to the app
        self.hellos = 0  # connections that were greeted
        self._waiting: dict[str, threading.Event] = {}
        self._envelopes: dict[str, dict] = {}
        self._numbers = iter(range(1, 1_000_000))
        self._turns = iter(range(1_000_000_000))  # spreads envelopes over connections
        self._server: Server = serve(
            self._serve_link,
            host,
            0,
            process_request=self._check_ticket,
            compression=None,
            close_timeout=0.5,
            logger=log,
        )
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="socket-mode", daemon=True
        )
        self._thread.start()

    # --- connections ----------------------------------------------------------------------

    @property
    def port(self) -> int:
        return self._server.socket.getsockname()[1]

    def issue_url(self) -> str:
        """What `apps.connections.open` answers: a fresh single-use URL."""
        ticket = secrets.token_urlsafe(12)
        with self.lock:
            self.tickets[ticket] = time.monotonic()
        return f"ws://127.0.0.1:{self.port}/link/?ticket={ticket}&app_id={self.app_id}"

    def _check_ticket(self, connection: ServerConnection, request: Any) -> Any:
        parts = urlsplit(request.path)
        ticket = parse_qs(parts.query).get("ticket", [""])[0]
        with self.lock:
            issued = self.tickets.pop(ticket, None)
        if parts.path.rstrip("/") != "/link" or issued is None:
            return connection.respond(HTTPStatus.UNAUTHORIZED, "invalid or used ticket\n")
        if time.monotonic() - issued > TICKET_TTL:
            return connection.respond(HTTPStatus.UNAUTHORIZED, "expired ticket\n")
        return None

    def _serve_link(self, connection: ServerConnection) -> None:
        link = Link(next(self._numbers), connection)
        with self.lock:
            self.links.append(link)
            live = sum(1 for x in self.links if not x.closed)
        link.send(
            {
                "type": "hello",
                "num_connections": live,
                "debug_info": {
                    "host": f"applink-local-{link.number}",
                    "build_number": 1,
                    "approximate_connection_time": 18060,
                },
                "connection_info": {"app_id": self.app_id},
            }
        )
        link.ready = True
        with self.lock:
            self.hellos += 1
        threading.Thread(target=self._redeliver, name="socket-redeliver", daemon=True).start()
        try:
            for raw in connection:
                self._on_message(raw)
        except ConnectionClosed:
            pass
        finally:
            link.closed = True

    def _on_message(self, raw: str | bytes) -> None:
        try:
            message = json.loads(raw)
        except ValueError:
            log.warning("socket mode: the app sent something that is not JSON")
            return
        envelope_id = message.get("envelope_id") if isinstance(message, dict) else None
        with self.lock:
            envelope = self._envelopes.get(envelope_id or "")
            if envelope is None:
                log.warning("socket mode: acknowledgement for an unknown envelope")
                return
            payload = message.get("payload")
            if payload is not None and not envelope.get("accepts_response_payload"):
                self.ignored_payloads.append(envelope_id)
                payload = None
            self.acks.setdefault(envelope_id, Ack(envelope_id, True, payload))
            waiting = self._waiting.get(envelope_id)
        if waiting:
            waiting.set()

    def live_links(self) -> list[Link]:
        with self.lock:
            return [x for x in self.links if not x.closed]

    def connected(self) -> bool:
        return any(x.ready and not x.refreshing for x in self.live_links())

    # --- Slack's side of the conversation -----------------------------------------------

    def deliver(
        self,
        kind: str,
        payload: dict,
        *,
        accepts_response_payload: bool = False,
        timeout: float = ACK_TIMEOUT,
    ) -> Ack:
        """Send one envelope to the app and wait for its acknowledgement."""
        envelope: dict[str, Any] = {
            "envelope_id": str(uuid.uuid4()),
            "payload": payload,
            "type": kind,
            "accepts_response_payload": accepts_response_payload,
        }
        if kind == "events_api":
            envelope.update(retry_attempt=0, retry_reason="")
        return self._send(envelope, timeout)

    def _send(self, envelope: dict, timeout: float) -> Ack:
        envelope_id = envelope["envelope_id"]
        waiting = threading.Event()
        with self.lock:
            self._envelopes[envelope_id] = envelope
            self._waiting[envelope_id] = waiting
            targets = [x for x in self.links if x.ready and not x.refreshing and not x.closed]
            # Slack spreads an app's envelopes over its open connections (up to 10).
            target = targets[next(self._turns) % len(targets)] if targets else None
        sent = target is not None and target.send(envelope)
        if not sent:
            return self._undelivered(envelope, "dispatch_failed")
        if not waiting.wait(timeout):
            return self._undelivered(envelope, "operation_timeout")
        with self.lock:
            self._waiting.pop(envelope_id, None)
            return self.acks[envelope_id]

    def _undelivered(self, envelope: dict, error: str) -> Ack:
        with self.lock:
            self._waiting.pop(envelope["envelope_id"], None)
            if envelope["type"] == "events_api" and envelope["retry_attempt"] < 3:
                self.pending_events.append(envelope)  # Slack tries an event again
        return Ack(envelope["envelope_id"], False, error=error)

    def _redeliver(self) -> None:
        with self.lock:
            owed, self.pending_events = self.pending_events, []
        for old in owed:
            again = {
                **old,
                "envelope_id": str(uuid.uuid4()),
                "retry_attempt": old["retry_attempt"] + 1,
                "retry_reason": "timeout",
            }
            self._send(again, ACK_TIMEOUT)

    def refresh(self, *, warning_lead: float = 0.2, close_after: float = 1.0) -> None:
        """Ask the app to reconnect, as Slack does before it recycles a connection: a
        `warning`, then `refresh_requested`, then the old connection is closed."""
        old = [x for x in self.live_links() if not x.refreshing]
        host = {"host": "applink-local"}
        for link in old:
            link.send({"type": "disconnect", "reason": "warning", "debug_info": host})
        time.sleep(warning_lead)
        for link in old:
            link.refreshing = True
            link.send({"type": "disconnect", "reason": "refresh_requested", "debug_info": host})

        def close_later() -> None:
            time.sleep(close_after)
            for link in old:
                link.connection.close(1001, "refresh")

        threading.Thread(target=close_later, name="socket-close", daemon=True).start()

    def drop_all(self) -> None:
        """Close every connection at once, without a word (a network blip)."""
        links = self.live_links()
        for link in links:
            link.refreshing = link.closed = True  # gone for Slack from this moment
        for link in links:
            threading.Thread(
                target=link.connection.close, args=(1011, "unexpected"), daemon=True
            ).start()

    def stop(self) -> None:
        self._server.shutdown()
