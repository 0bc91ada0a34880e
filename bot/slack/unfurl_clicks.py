"""What a press on a LinkedIn card does, and the card's redraw when its run ends.

A press moves the card from offered to running in one statement, so a double click, a
second person or Slack's retry starts nothing more: one run per card (one per profile for
"Enrich all"). The run's answer goes to the message's thread as any other; when it has
been delivered, `run_delivered` redraws the card in place (✅ and key fields, or ❌).
"""

from __future__ import annotations

import logging

from slack_sdk import WebClient

from bot.leads.extract import Found
from bot.leads.linkedin import parse
from bot.previews.rules import Level
from bot.previews.unfurls import GROUP, Unfurl
from bot.slack import blocks as kit
from bot.slack.blocks import unfurls as cards
from bot.slack.lead_runs import LeadAsk, Tell, record_lead_run
from bot.slack.services import Services
from bot.slack.unfurls import card_grid, draw_offer, send_unfurls
from bot.store.run_record import FINAL_STATES, Run

log = logging.getLogger(__name__)

EXPIRED = "This preview is no longer on record. Paste the link again, or use `/bitscale run`."


def enrich_pressed(
    client: WebClient, services: Services, card_id: str, user_id: str, tell: Tell
) -> None:
    """Enrich on one card (or Enrich all on a group line)."""
    assert services.unfurls is not None
    card = services.unfurls.get(card_id)
    if card is None:
        tell(EXPIRED, kit.notice_blocks(EXPIRED))
        return
    if card.state == "done":
        return  # someone pressed first: the card shows their result
    grid, _ = card_grid(services, card.grid_id)
    if grid is None:
        text = "Pick a grid on the preview first: this channel has no default grid for it."
        tell(text, kit.notice_blocks(text))
        return
    if services.unfurls.start(card.id, user_id, grid.grid_id) is None:
        return  # someone pressed first: their run is on the card already
    started = _record_runs(services, card, grid.grid_id, user_id, tell)
    if not started:
        services.unfurls.reopen(card.id)  # refused or incomplete: the card stays on offer
        return
    link = parse(card.url)
    assert link is not None
    if card.kind == GROUP:
        progress = cards.group_progress(0, 0, len(card.links), grid.grid_name)
        drawn = cards.group_line(card.id, len(card.links), grid, progress=progress)
    else:
        drawn = cards.running_card(link, Level(card.level), grid.grid_name, user_id)
    send_unfurls(client, card.channel_id, card.message_ts, {card.link: drawn})
    for run in started:
        services.runs.launch(run)


def _record_runs(
    services: Services, card: Unfurl, grid_id: str, user_id: str, tell: Tell
) -> list[Run]:
    """One run per profile on the card, each tied to it before it is launched (a reused
    answer is delivered at once, and its delivery redraws the card)."""
    assert services.unfurls is not None
    started: list[Run] = []
    for url in card.links:
        ask = LeadAsk(
            grid_id=grid_id,
            found=Found(linkedin=[url]),
            user_id=user_id,
            channel_id=card.channel_id,
            thread_ts=card.message_ts,
            source="unfurl",
            dedupe_key=f"unfurl:{card.id}:{url}",
        )
        recorded = record_lead_run(services, ask, tell)
        if recorded is None:
            break  # told why; a group stops at the first refusal (the budget is the same)
        run, created = recorded
        services.unfurls.attach_run(card.id, run.id)
        if created:
            started.append(run)
    return started


def grid_picked(client: WebClient, services: Services, value: str) -> None:
    """A grid picked on a card that had none: the card is redrawn with its button."""
    assert services.unfurls is not None
    card_id, _, grid_id = value.partition("|")
    card = services.unfurls.pick_grid(card_id, grid_id) if grid_id else None
    if card is None:
        return
    grid, _ = card_grid(services, grid_id)
    note = None if grid else "That grid takes no LinkedIn link: pick another one."
    send_unfurls(
        client, card.channel_id, card.message_ts, {card.link: draw_offer(services, card, note)}
    )


def run_delivered(client: WebClient, services: Services, run: Run) -> None:
    """The notifier delivered `run`: redraw the card it came from, if any (best effort,
    like the announcement's own ✅; the thread already has the result)."""
    if run.source != "unfurl" or services.unfurls is None:
        return
    card = services.unfurls.for_run(run.id)
    if card is None:
        return
    link = parse(card.url)
    assert link is not None
    if card.kind == GROUP:
        drawn = _group_drawn(services, card, run)
    else:
        drawn = cards.done_card(link, Level(card.level), run, services.runs.providers.view(run))
        services.unfurls.finish(card.id)
    send_unfurls(client, card.channel_id, card.message_ts, {card.link: drawn})


def _group_drawn(services: Services, card: Unfurl, run: Run) -> dict:
    runs = [services.store.get_run(r) for r in card.run_ids]
    ended = [r for r in runs if r is not None and r.state in FINAL_STATES]
    failed = sum(1 for r in ended if r.state not in ("completed", "reused"))
    total = len(card.links)
    if len(ended) >= total:
        assert services.unfurls is not None
        services.unfurls.finish(card.id)
    text = cards.group_progress(len(ended) - failed, failed, total, run.grid_name)
    return cards.group_line(card.id, total, None, progress=text)
