"""The driver's part for leads where they appear: a person posting links (link_shared,
from the composer and once posted), reacting to a message, a message event, and a press
on a button inside an app's link preview. Shapes as Slack documents them."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from typing import Any

from bot.playground.slack.records import Message

_EVENT_IDS = itertools.count(1)


def event_id(kind: str) -> str:
    return f"Ev{kind[:4].upper()}{next(_EVENT_IDS):06d}"


class LeadEvents:
    """Mixed into SlackDriver: uses its `standin`, `event` and `interact`."""

    standin: Any
    user: dict[str, str]

    event: Callable[..., Any]  # SlackDriver's: one Events API callback
    interact: Callable[..., Any]  # SlackDriver's: one interaction payload

    def post(
        self, channel: str, text: str, *, user: str | None = None, thread_ts: str | None = None
    ) -> Message:
        """A person's message (no event yet: `share_links`, `message_event` send them)."""
        return self.standin.add_message(
            channel, text, user=user or self.user["id"], thread_ts=thread_ts
        )

    def share_links(
        self, message: Message, *, composer: bool = False, ext_shared: bool = False
    ) -> Any:
        """Send the link_shared event for `message` (None when no link is on the app's
        unfurl domains); returns the bot's answer."""
        shared = self.standin.share_links(message, composer=composer)
        if shared is None:
            return None
        return self.event(shared[1], event_id("link"), ext_shared=ext_shared)

    def react(
        self, message: Message, user: str | None = None, reaction: str = "mag", **kw: Any
    ) -> Any:
        event = self.standin.reaction_event(message, user or self.user["id"], reaction)
        return self.event(event, event_id("reac"), **kw)

    def message_event(self, message: Message, **kw: Any) -> Any:
        """The message.channels event for a person's message."""
        event = {
            "type": "message",
            "channel": message.channel,
            "user": message.user,
            "text": message.text,
            "ts": message.ts,
            "event_ts": message.ts,
            "channel_type": "channel",
        }
        if message.thread_ts:
            event["thread_ts"] = message.thread_ts
        return self.event(event, event_id("mess"), **kw)

    def click_in_preview(
        self, message: Message, url: str, action: dict[str, Any], user: dict | None = None
    ) -> Any:
        """Press a button in the app's preview of `url` in `message`."""
        payload: dict[str, Any] = {
            "type": "block_actions",
            "trigger_id": self.standin.new_trigger(),
            "actions": [{**action, "action_ts": str(time.time())}],
            "channel": {"id": message.channel},
            "container": {
                "type": "message_attachment",
                "message_ts": message.ts,
                "channel_id": message.channel,
                "is_ephemeral": False,
                "is_app_unfurl": True,
                "app_unfurl_url": url,
            },
            "app_unfurl": {"id": 1, "app_unfurl_url": url, "blocks": []},
            "is_app_unfurl": True,
            "message": {"ts": message.ts, "text": message.text},
            "response_url": self.standin.response_url(),
        }
        if user is not None:
            payload["user"] = user
        return self.interact(payload)
