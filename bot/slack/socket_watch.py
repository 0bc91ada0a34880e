"""Whether the Socket Mode connection is up, for the readiness check. slack_sdk's client
reconnects by itself and only logs its failures (every 10 s, for ever), so a bot whose
app-level token was revoked looked healthy while no command reached it. This watch notes
when the connection went down and why a new one was refused, and says so after a grace
period that covers Slack's routine reconnects (it refreshes each connection every few hours).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from slack_sdk.errors import SlackApiError

log = logging.getLogger(__name__)

GRACE_SECONDS = 60.0


class SocketWatch:
    def __init__(
        self,
        client: Any,  # slack_sdk's SocketModeClient (the builtin one Bolt's handler uses)
        *,
        grace: float = GRACE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.grace = grace
        self.clock = clock
        self._lock = threading.Lock()
        self._down_since: float | None = None
        self._refused: str | None = None  # what apps.connections.open said last time
        self._follow(client)

    def _follow(self, client: Any) -> None:
        """Hear of each new connection, each refusal and each close as they happen (not only
        when asked), so the time down is right even if nobody asked for a while."""
        issue, connect = client.issue_new_wss_url, client.connect

        def issue_new_wss_url() -> str:
            try:
                url = issue()
            except SlackApiError as exc:
                error = exc.response.get("error") if exc.response is not None else None
                self._went_down(refused=str(error or "no reason given"))
                raise
            with self._lock:
                self._refused = None
            return url

        def connected() -> None:
            try:
                connect()
            except Exception:
                self._went_down()
                raise
            with self._lock:
                self._down_since = None

        client.issue_new_wss_url = issue_new_wss_url
        client.connect = connected
        client.on_close_listeners.append(lambda *_: self._went_down())

    def _went_down(self, refused: str | None = None) -> None:
        with self._lock:
            if self._down_since is None:
                self._down_since = self.clock()
            if refused is not None:
                self._refused = refused

    def problem(self) -> str | None:
        if self.client.is_connected():
            with self._lock:
                self._down_since = None
            return None
        self._went_down()  # in case the close went unheard (a socket that just vanished)
        with self._lock:
            down = self.clock() - (self._down_since or self.clock())
            refused = self._refused
        if down <= self.grace:
            return None
        if refused:
            return (
                f"Slack Socket Mode disconnected for {down:.0f}s: apps.connections.open "
                f"refused SLACK_APP_TOKEN ({refused}), so no command or event reaches the bot; "
                "make a new app-level token with connections:write (Basic Information → "
                "App-Level Tokens), check Socket Mode is on, and restart"
            )
        return (
            f"Slack Socket Mode disconnected for {down:.0f}s and still reconnecting, so no "
            "command or event reaches the bot; check the network to Slack (SLACK_API_URL)"
        )
