"""Opt-in detection: in a channel an admin opted in (`/bitscale detect on`), a message whose
author posts a lead's domain or email gets one private offer, to the author only:
"Enrich acme.com with Company Enrichment? [Enrich] [Not in this channel]". Nothing is
posted for everyone and nothing runs without the press.

The messages come through the message events the bot's history scopes already allow.
Edits, bots (the bot itself among them), and people who declined in that channel get no
offer; one offer per message, however often Slack delivers it.
"""

from __future__ import annotations

import logging

from slack_sdk import WebClient

from bot.leads.extract import Found, extract, message_texts
from bot.leads.input_match import company_domains
from bot.slack.blocks import unfurls as cards
from bot.slack.lead_runs import LeadAsk, Tell, record_lead_run
from bot.slack.services import Services
from bot.slack.text import channel_link, escape

log = logging.getLogger(__name__)

GONE = "This offer has already been answered."


def lead_value(found: Found) -> str | None:
    """What an offer names: a company's domain, else an email (not free-mail domains)."""
    domains = company_domains(found)
    if domains:
        return domains[0]
    return found.emails[0] if found.emails else None


def handle_message(
    client: WebClient, services: Services, event: dict, bot_user: str | None = None
) -> bool:
    """Offer to enrich the lead in a person's message; True when an offer was sent. A
    message that mentions the bot is its app_mention's to answer (quick.py), not ours."""
    assert services.previews is not None and services.offers is not None
    if event.get("subtype") or event.get("bot_id") or event.get("hidden"):
        return False  # edits, joins, bots: not a person posting a lead
    channel, user, ts = (str(event.get(k) or "") for k in ("channel", "user", "ts"))
    if not channel or not user or not ts or channel.startswith("D"):
        return False
    if not services.previews.channel(channel).detect or services.previews.declined(user, channel):
        return False
    if bot_user and f"<@{bot_user}>" in str(event.get("text") or ""):
        return False
    found = extract(message_texts(event))
    value = lead_value(found)
    default = services.defaults.get(channel) if services.defaults else None
    if value is None or default is None:
        return False
    offer = services.offers.record(
        channel_id=channel,
        message_ts=ts,
        user_id=user,
        grid_id=default.grid_id,
        value=value,
        found=found.to_dict(),
    )
    if offer is None:
        return False
    text, blocks = cards.detect_offer_blocks(offer.id, value, default.grid_name)
    client.chat_postEphemeral(channel=channel, user=user, text=text, blocks=blocks)
    return True


def enrich_offer(services: Services, offer_id: str, user_id: str, tell: Tell) -> str | None:
    """Enrich on an offer: run it (once) for its author. Returns the line that replaces
    the offer, or None when it is left as it was."""
    assert services.offers is not None
    offer = services.offers.get(offer_id)
    if offer is None or offer.user_id != user_id:
        return None
    if services.offers.take(offer.id, "taken") is None:
        return GONE
    ask = LeadAsk(
        grid_id=offer.grid_id,
        found=Found.from_dict(offer.found),
        user_id=user_id,
        channel_id=offer.channel_id,
        thread_ts=offer.message_ts,
        source="detect",
        dedupe_key=f"detect:{offer.id}",
    )
    recorded = record_lead_run(services, ask, tell)
    if recorded is None:
        return f"{escape(offer.value)}: see my answer below."
    run, created = recorded
    if created:
        services.runs.launch(run)
    return f"⏳ Enriching {escape(offer.value)}; the result goes in your message's thread."


def decline_offer(services: Services, offer_id: str, user_id: str) -> str | None:
    """Not in this channel: no more offers to this person here."""
    assert services.offers is not None and services.previews is not None
    offer = services.offers.get(offer_id)
    if offer is None or offer.user_id != user_id:
        return None
    services.offers.take(offer.id, "declined")
    services.previews.decline(user_id, offer.channel_id)
    return (
        f"OK: no more offers for you in {channel_link(offer.channel_id)}. React with 🔎 to a "
        "message, or use *Enrich with BitScale* from its menu, whenever you want one."
    )


def apply_detection(services: Services, picked: list, actor: str) -> list[str]:
    """The admin form's channels for detection: on where added, off where removed; the
    line for the admin's "Saved" list (none when nothing changed)."""
    assert services.previews is not None
    wanted = {c for c in picked if isinstance(c, str) and c}
    current = set(services.previews.detecting())
    for channel in sorted(wanted - current):
        services.previews.set_detect(channel, True, actor)
    for channel in sorted(current - wanted):
        services.previews.set_detect(channel, False, actor)
    if wanted == current:
        return []
    shown = ", ".join(channel_link(c) for c in sorted(wanted)[:20]) or "no channel"
    return [f"Opt-in detection: {shown}"]
