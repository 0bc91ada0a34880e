"""A Slack Web API stand-in that records every call.

It answers the methods the bot uses, the way Slack does (`{"ok": false, "error": …}` with
HTTP 200 for API errors, 429 with Retry-After when rate limited), checks the limits that
Slack enforces (trigger ids expire after 3 s, 50 blocks a message, 24-character modal
titles), and serves `response_url`s and file uploads; link unfurls and reactions are in
`unfurls.py`. Tests, the shell and the benchmarks
point `SLACK_API_URL` at it. `apps.connections.open` opens its Socket Mode side
(`socket_mode.py`), so the bot's Socket Mode path runs against it too.
"""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import urlsplit

from bot.playground.http import LoopbackServer, QuietHandler, query_params, take_fault
from bot.playground.slack.chat import ChatApi
from bot.playground.slack.files import FilesApi
from bot.playground.slack.images import check_images
from bot.playground.slack.people import PeopleApi
from bot.playground.slack.records import (
    BOT_USER,
    TRIGGER_TTL,
    Call,
    Message,
    SlackError,
    SlackFault,
    is_run_form,
    json_arg,
    wait_for,
)
from bot.playground.slack.socket_mode import SocketModeServer
from bot.playground.slack.state import SlackState
from bot.playground.slack.unfurls import UnfurlsApi, UnfurlState
from bot.playground.slack.views import ViewsApi

__all__ = [
    "BOT_USER",
    "TRIGGER_TTL",
    "Call",
    "Message",
    "SlackFault",
    "SlackStandIn",
    "is_run_form",
    "wait_for",
]


class SlackStandIn(ChatApi, ViewsApi, PeopleApi, FilesApi, UnfurlsApi, LoopbackServer):
    thread_name = "slack-standin"

    def __init__(
        self, host: str = "127.0.0.1", port: int = 0, token: str = "xoxb-playground"
    ) -> None:
        SlackState.__init__(self, token)
        self.unfurl_state = UnfurlState()
        self._socket_mode: SocketModeServer | None = None
        LoopbackServer.__init__(self, _Handler, host, port)

    # --- lifecycle ----------------------------------------------------------------------

    @property
    def api_url(self) -> str:
        return self.base + "/api/"

    def stop(self) -> None:
        super().stop()
        if self._socket_mode is not None:
            self._socket_mode.stop()

    @property
    def socket_mode(self) -> SocketModeServer:
        """Slack's Socket Mode side, started on first use."""
        with self.lock:
            if self._socket_mode is None:
                self._socket_mode = SocketModeServer()
            return self._socket_mode

    # --- the API --------------------------------------------------------------------------

    def handle_api(
        self, method: str, args: dict[str, Any], header_token: str | None = None
    ) -> tuple[int, dict[str, str], dict]:
        now = time.monotonic()
        fault = self._take_fault(method, args)
        if fault is not None and fault.accept_first:
            answer = self.handle_api(method, args, header_token)
            time.sleep(fault.hang)
            return answer
        if fault is not None:
            if fault.hang:
                time.sleep(fault.hang)
            self._record(method, args, now, ok=False)
            headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after else {}
            if fault.status == 429:
                return 429, headers, {"ok": False, "error": "ratelimited"}
            if fault.status >= 500:
                return fault.status, headers, {"ok": False, "error": "internal_error"}
            return 200, headers, {"ok": False, "error": fault.error}
        handler = getattr(self, "api_" + method.replace(".", "_"), None)
        if handler is None:
            self._record(method, args, now, ok=False)
            return 200, {}, {"ok": False, "error": "unknown_method"}
        try:
            if method == "apps.connections.open":
                body = self.api_apps_connections_open(header_token)
            else:
                body = handler(args)
        except SlackError as err:
            self._record(method, args, now, ok=False)
            return 200, {}, {"ok": False, "error": err.error}
        self._record(method, args, now)
        return 200, {}, {"ok": True, **body}

    def _take_fault(self, method: str, args: dict[str, Any]) -> SlackFault | None:
        return take_fault(self.faults, self.lock, lambda f: f.matches(method, args))

    def api_apps_connections_open(self, header_token: str | None) -> dict:
        # Only an app-level token, and only in the Authorization header, opens a socket.
        if not header_token:
            raise SlackError("not_authed")
        if not header_token.startswith("xapp-"):
            raise SlackError("not_allowed_token_type")
        return {"url": self.socket_mode.issue_url()}


class _Handler(QuietHandler):
    owner: SlackStandIn
    label = "slack stand-in"

    def do_POST(self) -> None:
        raw = self.read_body()
        path = urlsplit(self.path).path
        if path.startswith("/api/"):
            args = self._args(raw)
            auth = self.headers.get("Authorization", "")
            token = auth[len("Bearer ") :] if auth.startswith("Bearer ") else None
            status, headers, body = self.owner.handle_api(path[len("/api/") :], args, token)
            self.reply(
                status, json.dumps(body).encode(), headers, "application/json; charset=utf-8"
            )
        elif path.startswith("/respond/"):
            payload = json_arg(raw.decode() or "{}") or {}
            try:
                with self.owner.lock:
                    check_images(payload.get("blocks"), self.owner.files)
            except SlackError as err:  # Slack answers a bad response_url payload with 400
                self.reply(400, err.error.encode(), content_type="text/plain")
                return
            self.owner.respond(path.rsplit("/", 1)[-1], payload)
            self.reply(200, b"ok", content_type="text/plain")
        elif path.startswith("/upload/"):
            status = self.owner.upload(path.rsplit("/", 1)[-1], raw)
            self.reply(status, b"OK", content_type="text/plain")
        else:
            self.reply(404, b"not found", content_type="text/plain")

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        if path.startswith("/files-pri/"):
            status, body, kind = self.owner.download(path, self.headers.get("Authorization"))
            self.reply(status, body, content_type=kind)
        else:
            self.reply(404, b"not found", content_type="text/plain")

    def _args(self, raw: bytes) -> dict[str, Any]:
        kind = self.headers.get("Content-Type", "")
        if "application/json" in kind:
            data = json_arg(raw.decode() or "{}")
            return data if isinstance(data, dict) else {}
        query = urlsplit(self.path).query
        text = raw.decode(errors="replace") + ("&" + query if query else "")
        return query_params(text)
