"""The Slack stand-in's workspace: what it holds (messages, views, files, people, calls)
and the look-ups drivers and tests use. The API methods are mixins on top of it."""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from bot.playground.slack.records import Call, Message, SlackFault

log = logging.getLogger("bot.playground.slack.standin")


class SlackState:
    base: str  # the stand-in's address (from its server)

    def __init__(self, token: str) -> None:
        self.token = token  # the bot token that may download private files
        self.lock = threading.RLock()
        self.calls: list[Call] = []
        self.messages: list[Message] = []
        self.responses: list[dict] = []  # what listeners sent to response_urls
        self.views: dict[str, dict] = {}
        self.home_views: dict[str, dict] = {}  # user id → published Home tab
        self.view_log: list[tuple[str, str, dict]] = []  # (method, view_id, view)
        self.files: dict[str, dict] = {}
        self.channel_errors: dict[str, str] = {}  # channel id → error for chat.postMessage
        self.faults: list[SlackFault] = []
        self.triggers: dict[str, float] = {}
        # function execution id → {"state", "outputs", "error", "output_parameters"}
        self.function_executions: dict[str, dict[str, Any]] = {}
        self.listeners: list[Callable[[str, Any], None]] = []
        # People and user groups (users.info, users.list, usergroups.*). Anyone whose id
        # looks like a user id (U…/W…) is a plain member unless listed here.
        self.users: dict[str, dict[str, Any]] = {}
        self.usergroups: dict[str, dict[str, Any]] = {}
        self._ts = itertools.count(1)
        self._ids = itertools.count(1)

    # --- helpers for drivers and tests ----------------------------------------------------

    def new_trigger(self) -> str:
        trigger = f"trig-{next(self._ids)}"
        with self.lock:
            self.triggers[trigger] = time.monotonic()
        return trigger

    def response_url(self) -> str:
        return f"{self.base}/respond/{next(self._ids)}"

    def add_message(
        self,
        channel: str,
        text: str,
        *,
        user: str = "U0LEAD",
        thread_ts: str | None = None,
        attachments: list[dict] | None = None,
        files: list[dict] | None = None,
    ) -> Message:
        """A message someone (not the bot) posted, for shortcuts and mentions to act on."""
        message = Message(channel, self._next_ts(), text, [], thread_ts, user=user)
        message.attachments = attachments or []
        message.files = files or []
        with self.lock:
            self.messages.append(message)
        return message

    def inject(self, **kwargs: Any) -> SlackFault:
        fault = SlackFault(**kwargs)
        with self.lock:
            self.faults.append(fault)
        return fault

    def calls_to(self, method: str) -> list[Call]:
        with self.lock:
            return [c for c in self.calls if c.method == method]

    def posts(
        self, channel: str | None = None, thread_ts: str | None = None, top_level: bool = False
    ) -> list[Message]:
        with self.lock:
            return [
                m
                for m in self.messages
                if (channel is None or m.channel == channel)
                and (thread_ts is None or m.thread_ts == thread_ts)
                and (not top_level or m.thread_ts is None)
            ]

    def post_as_user(self, channel: str, text: str, user: str = "U0ANA") -> Message:
        """A message a person wrote (what an @mention event points at)."""
        message = Message(channel, self._next_ts(), text, [], user=user)
        with self.lock:
            self.messages.append(message)
        return message

    def message(self, channel: str, ts: str) -> Message | None:
        with self.lock:
            return next((m for m in self.messages if m.channel == channel and m.ts == ts), None)

    def latest_view(
        self, since: int = 0, where: Callable[[dict], bool] | None = None
    ) -> dict | None:
        """The newest view opened or updated after the first `since` ones that `where`
        accepts (any view when `where` is None)."""
        with self.lock:
            for _, _, view in reversed(self.view_log[since:]):
                if where is None or where(view):
                    return view
        return None

    def on_event(self, listener: Callable[[str, Any], None]) -> None:
        """Call `listener(kind, item)` for each message, update, response or view."""
        self.listeners.append(listener)

    def _emit(self, kind: str, item: Any) -> None:
        for listener in self.listeners:
            try:
                listener(kind, item)
            except Exception:  # noqa: BLE001 - a display problem must not break the API
                log.exception("stand-in listener failed")

    def _record(self, method: str, args: dict[str, Any], at: float, ok: bool = True) -> None:
        with self.lock:
            self.calls.append(Call(method, args, at, ok))

    def _next_ts(self) -> str:
        return f"{1_700_000_000 + next(self._ts)}.{next(self._ts):06d}"

    def respond(self, token: str, payload: dict) -> None:
        with self.lock:
            self.responses.append({"token": token, **payload})
        self._emit("response", payload)
