"""What the Slack stand-in keeps and answers with: calls, messages, injected faults,
Slack's error answer, and the small helpers tests share."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

BOT_USER = "UBOT0001"
TRIGGER_TTL = 3.0


@dataclass
class Call:
    method: str
    args: dict[str, Any]
    at: float
    ok: bool = True


@dataclass
class Message:
    channel: str
    ts: str
    text: str
    blocks: list[dict]
    thread_ts: str | None = None
    metadata: dict | None = None
    user: str = BOT_USER
    ephemeral_for: str | None = None
    files: list[dict] = field(default_factory=list)
    at: float = field(default_factory=time.monotonic)  # when the stand-in accepted it
    attachments: list[dict] = field(default_factory=list)
    unfurls: dict[str, dict] = field(default_factory=dict)  # URL → the app's preview of it
    reactions: dict[str, list[str]] = field(default_factory=dict)  # emoji name → who

    def as_payload(self) -> dict:
        """The message as Slack puts it in an interaction or event payload."""
        payload: dict[str, Any] = {
            "type": "message",
            "user": self.user,
            "ts": self.ts,
            "text": self.text,
        }
        if self.blocks:
            payload["blocks"] = self.blocks
        if self.thread_ts:
            payload["thread_ts"] = self.thread_ts
        if self.attachments:
            payload["attachments"] = self.attachments
        if self.files:
            payload["files"] = self.files
        return payload


@dataclass
class SlackFault:
    method: str
    error: str = "ratelimited"
    status: int = 200  # 429 or 5xx for transport-level faults
    retry_after: int | None = None
    hang: float = 0.0
    times: int = 1
    channel: str | None = None
    thread_only: bool = False  # only calls that reply in a thread
    accept_first: bool = False  # do the call, then hang before answering (a lost answer)

    def matches(self, method: str, args: dict[str, Any]) -> bool:
        return (
            self.method == method
            and (self.channel is None or self.channel == args.get("channel"))
            and (not self.thread_only or bool(args.get("thread_ts")))
        )


def is_run_form(view: dict) -> bool:
    return view.get("callback_id") == "run_view"


def wait_for(condition: Callable[[], Any], timeout: float = 10.0, interval: float = 0.02) -> Any:
    """Return the condition's first truthy value; raise if it never comes."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met in time")
        time.sleep(interval)


class SlackError(Exception):
    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


def json_arg(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return None
    return value
