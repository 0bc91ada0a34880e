"""Quick runs by mention: `@BitScale acme.com` runs the channel's default grid when the
message fills every input, and otherwise offers the form, pre-filled."""

from __future__ import annotations

import logging
import re

from slack_sdk import WebClient

from bot.grids.catalog import RunForm
from bot.leads.extract import extract, message_texts
from bot.leads.input_match import match_inputs
from bot.providers.bitscale.errors import BitScaleError, explain
from bot.runs.types import RunRefused, RunRequest
from bot.slack import blocks as kit
from bot.slack.forms import form_base
from bot.slack.services import Services

log = logging.getLogger(__name__)

_MENTION = re.compile(r"<@[^>]*>")
HELP_WORDS = {"", "help", "?", "hi", "hello", "hey"}


def wants_help(text: str) -> bool:
    return _MENTION.sub(" ", text or "").strip().strip("!.?").lower() in HELP_WORDS


def handle_mention(client: WebClient, services: Services, event: dict) -> None:
    """Answer one mention in its thread (after the ack, off Bolt's thread)."""
    channel = str(event.get("channel") or "")
    thread_ts = event.get("thread_ts") or event.get("ts")
    user_id = str(event.get("user") or "")

    def reply(text: str, blocks: list[dict]) -> None:
        client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=text, blocks=blocks)

    if wants_help(str(event.get("text") or "")):
        reply("BitScale for Slack: help", kit.help_blocks())
        return
    default = services.defaults.get(channel) if services.defaults else None
    if default is None:
        reply(*kit.no_default_blocks())
        return
    try:
        form = services.catalog.form(default.grid_id)
    except BitScaleError as error:
        reply(explain(error), kit.error_blocks(explain(error)))
        return
    assert form is not None
    found = extract(message_texts(event))
    values = match_inputs(found, form.input_keys)
    missing = [k for k in form.input_keys if not values.get(k)]
    if form.input_keys and not missing:
        # Quick runs start like any other run, marked "mention"; a recent answer to the
        # same lead is posted instead, marked as reused (reuse.py).
        try:
            _start_quick(services, form, values, user_id, channel, thread_ts, event)
        except RunRefused as refusal:
            reply(f"🚫 {refusal}", kit.notice_blocks(f"🚫 {refusal}"))
        return
    base = form_base(
        channel_id=channel, user_id=user_id, thread_ts=thread_ts, found=found, source="mention"
    )
    session = services.store.save_session({**base, "grid_id": form.grid_id})
    reply(*kit.open_form_blocks(form.grid_name, list(values), missing, session))


def _start_quick(
    services: Services,
    form: RunForm,
    values: dict[str, str],
    user_id: str,
    channel: str,
    thread_ts: str | None,
    event: dict,
) -> None:
    services.runs.start_run(
        RunRequest(
            grid_id=form.grid_id,
            grid_name=form.grid_name,
            inputs=values,
            user_id=user_id,
            channel_id=channel,
            team_id=event.get("team"),
            dedupe_key=f"mention:{channel}:{event.get('ts')}",
            thread_ts=thread_ts,
            source="mention",
            reuse=True,  # the thread offers Run fresh when an earlier answer is used
        )
    )
