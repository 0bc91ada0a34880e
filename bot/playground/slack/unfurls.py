"""The Slack stand-in's link unfurling, reactions and history, as Slack documents them.

- A person's message with links on the app's unfurl domains (exact hosts, subdomains
  matching) makes `link_shared` events: one with `source: composer` while it is being
  written (channel `COMPOSER`, a temporary message id), one with
  `source: conversations_history` once posted, each with its own `unfurl_id`.
- `chat.unfurl` takes `channel`+`ts` or `unfurl_id`+`source`, and `unfurls`, a JSON map
  from each URL as the event sent it to its attachment (`blocks`). A second call for the
  same message and URL replaces the preview in place. Its errors are Slack's:
  `cannot_unfurl_message` (no such message), `cannot_unfurl_url` (the URL is not one the
  message shared), `invalid_unfurls_format`, `invalid_source`, `missing_channel`.
- `reaction_added` events name the message (`item`), not its text: `conversations.history`
  (with `latest`, `oldest`, `inclusive`) gives the message back.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from bot.leads.linkedin import UNFURL_DOMAINS
from bot.playground.slack.records import Message, SlackError, json_arg
from bot.playground.slack.state import SlackState

SOURCES = ("composer", "conversations_history")
COMPOSER_CHANNEL = "COMPOSER"
_LINK = re.compile(r"<(https?://[^<>|\s]+)(?:\|[^<>]*)?>|(?<![<|])\bhttps?://[^\s<>|]+")


@dataclass
class SharedLinks:
    """One link_shared event's links, as Slack remembers them for chat.unfurl."""

    unfurl_id: str
    source: str
    channel: str  # COMPOSER while in the composer
    message_ts: str
    user: str
    links: list[str]
    thread_ts: str | None = None
    message: Message | None = None  # the posted message (None in the composer)


@dataclass
class UnfurlCall:
    channel: str
    ts: str
    url: str
    unfurl: dict[str, Any]


@dataclass
class UnfurlState:
    unfurl_domains: tuple[str, ...] = UNFURL_DOMAINS
    shared: dict[str, SharedLinks] = field(default_factory=dict)  # unfurl id → links
    unfurl_log: list[UnfurlCall] = field(default_factory=list)  # every accepted preview


def links_in(text: str, domains: tuple[str, ...]) -> list[str]:
    """The links of `text` Slack sends to an app with these unfurl domains, in order."""
    found: list[str] = []
    for match in _LINK.finditer(text or ""):
        url = (match.group(1) or match.group(0)).rstrip(".,;:!?)")
        host = url.split("://", 1)[1].split("/", 1)[0].split("?", 1)[0].lower()
        if any(host == d or host.endswith("." + d) for d in domains) and url not in found:
            found.append(url)
    return found


class UnfurlsApi(SlackState):
    unfurl_state: UnfurlState  # made by the stand-in's constructor

    def _unfurls(self) -> UnfurlState:
        return self.unfurl_state

    # --- what people do -----------------------------------------------------------------

    def share_links(
        self, message: Message, *, composer: bool = False
    ) -> tuple[SharedLinks, dict[str, Any]] | None:
        """The link_shared event for `message`'s links on the unfurl domains (None when it
        has none): in the composer, or as posted."""
        state = self._unfurls()
        links = links_in(message.text, state.unfurl_domains)
        if not links:
            return None
        if composer:
            temp = f"{message.user}-{uuid.uuid4()}-{uuid.uuid4().hex[:32]}"
            shared = SharedLinks(temp, "composer", COMPOSER_CHANNEL, temp, message.user, links)
        else:
            digest = hashlib.sha256(f"{message.channel}{message.ts}".encode()).hexdigest()
            unfurl_id = f"{message.channel}.{message.ts}.{digest}"
            shared = SharedLinks(
                unfurl_id,
                "conversations_history",
                message.channel,
                message.ts,
                message.user,
                links,
                message.thread_ts,
                message,
            )
        with self.lock:
            state.shared[shared.unfurl_id] = shared
        event: dict[str, Any] = {
            "type": "link_shared",
            "channel": shared.channel,
            "is_bot_user_member": True,
            "user": shared.user,
            "message_ts": shared.message_ts,
            "unfurl_id": shared.unfurl_id,
            "source": shared.source,
            "links": [{"domain": _domain(u, state.unfurl_domains), "url": u} for u in links],
            "event_ts": message.ts,
        }
        if shared.thread_ts:
            event["thread_ts"] = shared.thread_ts
        return shared, event

    def reaction_event(self, message: Message, user: str, reaction: str = "mag") -> dict:
        """reaction_added for `user` reacting to `message`, as Slack sends it."""
        with self.lock:
            message.reactions.setdefault(reaction, [])
            if user not in message.reactions[reaction]:
                message.reactions[reaction].append(user)
        return {
            "type": "reaction_added",
            "user": user,
            "reaction": reaction,
            "item_user": message.user,
            "item": {"type": "message", "channel": message.channel, "ts": message.ts},
            "event_ts": self._next_ts(),
        }

    # --- what tests read ----------------------------------------------------------------

    def unfurl_calls(self, channel: str | None = None) -> list[UnfurlCall]:
        with self.lock:
            return [c for c in self._unfurls().unfurl_log if channel in (None, c.channel)]

    def preview(self, channel: str, ts: str, url: str) -> dict[str, Any] | None:
        """The preview a message shows for `url` now (the last chat.unfurl for it)."""
        message = self.message(channel, ts)
        return None if message is None else message.unfurls.get(url)

    # --- the API ------------------------------------------------------------------------

    def api_chat_unfurl(self, args: dict) -> dict:
        state = self._unfurls()
        unfurls = json_arg(args.get("unfurls"))
        if not isinstance(unfurls, dict) or not unfurls:
            raise SlackError("invalid_unfurls_format")
        if any(not isinstance(v, dict) for v in unfurls.values()):
            raise SlackError("invalid_unfurls_format")
        for unfurl in unfurls.values():
            if len(json_arg(unfurl.get("blocks")) or []) > 50:
                raise SlackError("invalid_blocks")
        channel, ts, allowed = self._unfurl_target(args, state)
        if any(url not in allowed for url in unfurls):
            raise SlackError("cannot_unfurl_url")
        with self.lock:
            message = self.message(channel, ts) if channel != COMPOSER_CHANNEL else None
            for url, unfurl in unfurls.items():
                if message is not None:
                    message.unfurls[url] = unfurl  # a second call replaces it in place
                state.unfurl_log.append(UnfurlCall(channel, ts, url, unfurl))
        self._emit("unfurl", (channel, ts, unfurls))
        return {}

    def _unfurl_target(self, args: dict, state: UnfurlState) -> tuple[str, str, set[str]]:
        unfurl_id, source = args.get("unfurl_id"), args.get("source")
        if unfurl_id or source:
            if source not in SOURCES:
                raise SlackError("invalid_source")
            shared = state.shared.get(str(unfurl_id or ""))
            if shared is None or shared.source != source:
                raise SlackError("cannot_unfurl_message")
            return shared.channel, shared.message_ts, set(shared.links)
        channel, ts = str(args.get("channel") or ""), str(args.get("ts") or "")
        if not channel or not ts:
            raise SlackError("missing_channel")
        if self.message(channel, ts) is None:
            raise SlackError("cannot_unfurl_message")
        links = {
            url
            for s in state.shared.values()
            if s.channel == channel and s.message_ts == ts
            for url in s.links
        }
        return channel, ts, links

    def api_conversations_history(self, args: dict) -> dict:
        channel = str(args.get("channel") or "")
        if not channel:
            raise SlackError("channel_not_found")
        latest, oldest = _ts(args.get("latest"), 1e12), _ts(args.get("oldest"), 0.0)
        inclusive = str(args.get("inclusive") or "").lower() in ("1", "true")
        limit = max(1, min(999, int(str(args.get("limit") or 100))))
        with self.lock:
            found = [
                m
                for m in reversed(self.messages)
                if m.channel == channel
                and m.ephemeral_for is None
                and (m.thread_ts is None or m.thread_ts == m.ts)
                and (
                    oldest <= float(m.ts) <= latest if inclusive else oldest < float(m.ts) < latest
                )
            ]
        return {"messages": [m.as_payload() for m in found[:limit]], "has_more": len(found) > limit}


def _ts(value: Any, default: float) -> float:
    try:
        return float(str(value)) if value not in (None, "") else default
    except ValueError:
        raise SlackError("invalid_ts_latest") from None


def _domain(url: str, domains: tuple[str, ...]) -> str:
    host = url.split("://", 1)[1].split("/", 1)[0].lower()
    return next((d for d in sorted(domains, key=len, reverse=True) if host.endswith(d)), host)
