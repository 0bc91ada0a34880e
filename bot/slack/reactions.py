"""A 🔎 reaction (REACTION_EMOJI) on a message runs the channel's default grid on the leads
in it, answering in the message's thread; with no default grid, or inputs missing, only
the reactor hears back (ephemeral), with **Open the form** pre-filled.

The reaction event names the message, not its text, so the message is read back
(conversations.history; a thread reply through conversations.replies). The same
extraction as the message shortcut finds the leads. Grid access and budgets are the
reactor's. While the message's run is pending, or its answer still reusable, a second
reaction (anyone's) starts nothing: reactions.py in the core names the one run.
"""

from __future__ import annotations

import logging
import re

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.leads.extract import extract, message_texts
from bot.previews.reactions import next_reaction_key
from bot.runs.reuse import DAY
from bot.slack import blocks as kit
from bot.slack.blocks import unfurls as cards
from bot.slack.forms import form_base
from bot.slack.lead_runs import LeadAsk, private_answer, record_lead_run
from bot.slack.services import Services

log = logging.getLogger(__name__)

_TS = re.compile(r"^\d{1,12}\.\d{1,8}$")
UNREADABLE = (
    "I couldn't read that message, so I don't know which lead to enrich. Invite me to the "
    "channel (`/invite @BitScale`), or use *Enrich with BitScale* from the message's menu."
)


def read_message(client: WebClient, channel: str, ts: str) -> dict | None:
    """The message a reaction names: from the channel's history, or from a thread."""
    try:
        history = client.conversations_history(
            channel=channel, latest=ts, oldest=ts, inclusive=True, limit=1
        )
        for message in history.get("messages") or []:
            if message.get("ts") == ts:
                return message
        replies = client.conversations_replies(channel=channel, ts=ts, limit=100)
        for message in replies.get("messages") or []:
            if message.get("ts") == ts:
                return message
    except SlackApiError as error:
        log.info("could not read %s/%s: %s", channel, ts, error.response.get("error"))
    return None


def handle_reaction(client: WebClient, services: Services, event: dict) -> bool:
    """Run the default grid on the message's leads; True when a run was started."""
    item = event.get("item") or {}
    channel, ts = str(item.get("channel") or ""), str(item.get("ts") or "")
    user = str(event.get("user") or "")
    if item.get("type") != "message" or not channel or not _TS.match(ts) or not user:
        return False
    tell = private_answer(client, channel, user)
    message = read_message(client, channel, ts)
    if message is None:
        tell(UNREADABLE, kit.notice_blocks(UNREADABLE))
        return False
    found = extract(message_texts(message))
    thread_ts = message.get("thread_ts") or ts
    default = services.defaults.get(channel) if services.defaults else None
    if default is None:
        base = form_base(
            channel_id=channel, user_id=user, thread_ts=thread_ts, found=found, source="reaction"
        )
        tell(*cards.no_default_reaction_blocks(services.store.save_session(base)))
        return False
    key = next_reaction_key(
        services.store,
        channel,
        ts,
        default.grid_id,
        answered_since=_answered_since(services, default),
    )
    if key is None:
        return False  # pending or reusable: the thread has (or will have) the answer
    ask = LeadAsk(
        grid_id=default.grid_id,
        found=found,
        user_id=user,
        channel_id=channel,
        thread_ts=thread_ts,
        source="reaction",
        dedupe_key=key,
    )
    recorded = record_lead_run(services, ask, tell)
    if recorded is None:
        return False
    run, created = recorded
    if created:
        services.runs.launch(run)
    return created


def _answered_since(services: Services, default) -> float | None:
    results = services.runs.results
    if results is None:
        return None
    days = results.window_days(default.grid_id, default.grid_name)
    return results.clock() - days * DAY if days > 0 else None
