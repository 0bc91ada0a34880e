"""Starting a run on a lead found where it appeared (a card's button, a 🔎 reaction, a
detection offer): the presser's grid access and budget first, then the inputs the lead
fills; anything missing becomes a private **Open the form**, pre-filled. One place, so the
three entry points answer alike."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.leads.extract import Found
from bot.leads.input_match import match_inputs
from bot.providers.bitscale.errors import BitScaleError, explain
from bot.runs.types import RunRefused, RunRequest
from bot.slack import blocks as kit
from bot.slack.forms import check_run, form_base
from bot.slack.services import Services
from bot.store.run_record import Run

log = logging.getLogger(__name__)

Tell = Callable[[str, list[dict]], None]  # a private answer: (text, blocks)


@dataclass
class LeadAsk:
    grid_id: str
    found: Found
    user_id: str
    channel_id: str
    thread_ts: str | None  # the message whose thread gets the answer
    source: str  # unfurl | reaction | detect: the entry point, for the record and policy
    dedupe_key: str  # one run per click, reaction or offer, whatever Slack redelivers
    team_id: str | None = None


def record_lead_run(services: Services, ask: LeadAsk, tell: Tell) -> tuple[Run, bool] | None:
    """Record the run (not launched yet: the caller may tie it to a card first), or tell
    the presser why not and return None. `created` is False for a repeated dedupe key."""
    try:
        form = services.catalog.form(ask.grid_id)
    except BitScaleError as error:
        tell(explain(error), kit.error_blocks(explain(error)))
        return None
    assert form is not None
    refused = check_run(services, ask.user_id, form.grid_id, form.grid_name, entry=ask.source)
    if refused:
        tell(f"🚫 {refused}", kit.notice_blocks(f"🚫 {refused}"))
        return None
    values = match_inputs(ask.found, form.input_keys)
    missing = [k for k in form.input_keys if not values.get(k)]
    if missing or not form.input_keys:
        base = form_base(
            channel_id=ask.channel_id,
            user_id=ask.user_id,
            thread_ts=ask.thread_ts,
            found=ask.found,
            source=ask.source,
        )
        session = services.store.save_session({**base, "grid_id": form.grid_id})
        tell(*kit.open_form_blocks(form.grid_name, list(values), missing, session))
        return None
    request = RunRequest(
        grid_id=form.grid_id,
        grid_name=form.grid_name,
        inputs=values,
        user_id=ask.user_id,
        channel_id=ask.channel_id,
        team_id=ask.team_id,
        dedupe_key=ask.dedupe_key,
        thread_ts=ask.thread_ts,
        source=ask.source,
        reuse=True,  # a recent answer to the same lead is posted instead, for free
    )
    try:
        return services.runs.record_run(request)
    except RunRefused as refusal:
        tell(f"🚫 {refusal}", kit.notice_blocks(f"🚫 {refusal}"))
        return None


def private_answer(client: WebClient, channel_id: str, user_id: str) -> Tell:
    """An ephemeral message to one person; a DM when the bot is not in the channel."""

    def tell(text: str, blocks: list[dict]) -> None:
        try:
            client.chat_postEphemeral(channel=channel_id, user=user_id, text=text, blocks=blocks)
            return
        except SlackApiError as error:
            reason = error.response.get("error")
            if reason not in ("not_in_channel", "channel_not_found", "is_archived"):
                log.warning("could not answer %s privately: %s", user_id, reason)
                return
        try:
            dm = client.conversations_open(users=user_id)["channel"]["id"]
            client.chat_postMessage(channel=dm, text=text, blocks=blocks)
        except SlackApiError as error:
            log.warning("could not DM %s: %s", user_id, error.response.get("error"))

    return tell
