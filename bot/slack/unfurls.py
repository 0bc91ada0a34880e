"""LinkedIn previews: a link_shared event becomes at most one card per profile, drawn at
the channel's level; nothing here spends a credit (clicks are in unfurl_clicks.py).

Runs after the ack, off Bolt's thread: the default grid's form may need BitScale. A stored
result is shown only when it was posted in this same channel (everyone here has seen it
already), never one asked in private, and it costs nothing to show.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.grids.catalog import RunForm
from bot.leads.extract import Found
from bot.leads.input_match import kind_of, match_inputs
from bot.leads.linkedin import parse
from bot.previews.rules import Level, effective_level, plan_links
from bot.previews.unfurls import GROUP, ONE, Unfurl
from bot.providers.bitscale.errors import BitScaleError
from bot.slack.blocks import unfurls as cards
from bot.slack.services import Services

log = logging.getLogger(__name__)


def takes_linkedin(form: RunForm | None) -> bool:
    return form is not None and any(kind_of(k) == "linkedin" for k in form.input_keys)


def linkedin_inputs(form: RunForm, url: str) -> tuple[dict[str, str], list[str]]:
    """The grid's inputs a LinkedIn link fills, and the ones it leaves missing."""
    values = match_inputs(Found(linkedin=[url]), form.input_keys)
    return values, [k for k in form.input_keys if not values.get(k)]


def card_grid(
    services: Services, grid_id: str | None
) -> tuple[cards.CardGrid | None, RunForm | None]:
    """A grid for a card, with its form; (None, None) when it cannot take a LinkedIn link
    or BitScale cannot say (the card then asks for a grid)."""
    if not grid_id:
        return None, None
    try:
        form = services.catalog.form(grid_id)
    except BitScaleError as error:
        log.info("no form for grid %s on a preview: %s", grid_id, error.code)
        return None, None
    if not takes_linkedin(form):
        return None, None
    assert form is not None
    cost = services.batches.cost_per_run(grid_id) if services.batches is not None else None
    return cards.CardGrid(form.grid_id, form.grid_name, cost), form


def default_grid(
    services: Services, channel_id: str
) -> tuple[cards.CardGrid | None, RunForm | None]:
    default = services.defaults.get(channel_id) if services.defaults else None
    return card_grid(services, default.grid_id if default else None)


def grid_choices(services: Services) -> list[tuple[str, str]]:
    """Grids for a card's picker, from the cache only: those known to take a LinkedIn link
    first (their forms were loaded before), then the rest."""
    grids = services.catalog.all_grids(cached_only=True) or []
    known, others = [], []
    for grid in grids:
        form = services.catalog.form(grid.id, cached_only=True)
        (known if takes_linkedin(form) else others).append((grid.id, grid.name))
    return (known + others)[: cards.MAX_PICKER_OPTIONS]


def stored_result(
    services: Services, channel_id: str, form: RunForm, url: str
) -> cards.Stored | None:
    """A result for this profile in the reuse window that this channel may see."""
    results = services.runs.results
    values, missing = linkedin_inputs(form, url)
    if results is None or missing:
        return None
    found = results.find(
        form.grid_id, values, None, None, channel_id=channel_id, grid_name=form.grid_name
    )
    if found is None:
        return None
    run = found.run
    posted_in = run.post_channel or run.channel_id
    if run.quiet or posted_in != channel_id or not found.made_by:
        return None  # asked elsewhere or in private: this channel must not learn of it
    return cards.Stored(found.made_at, found.made_by, services.runs.providers.view(run))


def draw_offer(services: Services, card: Unfurl, note: str | None = None) -> dict[str, Any]:
    """The card for a row still on offer (also redrawn after a grid is picked)."""
    link = parse(card.url)
    assert link is not None
    level = Level(card.level)
    grid, form = card_grid(services, card.grid_id)
    try:
        stored = stored_result(services, card.channel_id, form, card.url) if form else None
    except Exception:  # noqa: BLE001 - a result that cannot be drawn: offer the button
        log.exception("could not show the stored result on a preview")
        stored = None
    picker = grid_choices(services) if grid is None else None
    return cards.offer_card(card.id, link, level, grid=grid, grids=picker, stored=stored, note=note)


def handle_link_shared(
    client: WebClient, services: Services, event: dict, *, shared_externally: bool
) -> int:
    """Preview the profiles of one link_shared event; returns how many cards were sent."""
    assert services.previews is not None and services.unfurls is not None
    channel = str(event.get("channel") or "")
    message_ts = str(event.get("message_ts") or "")
    user = str(event.get("user") or "")
    links = [
        str(item.get("url") or "") for item in event.get("links") or [] if isinstance(item, dict)
    ]
    choice = services.previews.channel(channel)
    level = effective_level(choice.level, shared_externally=shared_externally)
    plan = plan_links(
        links, level=level, muted=services.previews.muted(user), source=event.get("source")
    )
    if plan.why_nothing or not channel or not message_ts:
        log.debug("no preview in %s: %s", channel, plan.why_nothing)
        return 0
    grid, _ = default_grid(services, channel)
    claim = {
        "channel_id": channel,
        "message_ts": message_ts,
        "level": level.value,
        "user_id": user,
        "unfurl_id": event.get("unfurl_id"),
        "source": event.get("source"),
        "grid_id": grid.grid_id if grid else None,
    }
    unfurls: dict[str, dict[str, Any]] = {}
    rows: list[Unfurl] = []
    sent = False
    try:
        if plan.group:
            row = services.unfurls.claim(links=plan.group, kind=GROUP, **claim)
            if row is not None:
                rows.append(row)
                unfurls[row.link] = cards.group_line(row.id, len(plan.group), grid)
        for pair in plan.cards:
            row = services.unfurls.claim(links=[pair], kind=ONE, **claim)
            if row is not None:
                rows.append(row)
                unfurls[row.link] = draw_offer(services, row)
        sent = bool(unfurls) and send_unfurls(client, channel, message_ts, unfurls)
    finally:
        if not sent:  # nothing was shown: a later post of the link may try again
            for row in rows:
                services.unfurls.forget(row.id)
    return len(unfurls) if sent else 0


def send_unfurls(client: WebClient, channel: str, ts: str, unfurls: dict[str, dict]) -> bool:
    """chat.unfurl; a second call for the same message and link replaces the preview."""
    try:
        client.chat_unfurl(channel=channel, ts=ts, unfurls=unfurls)
        return True
    except SlackApiError as error:
        log.warning("chat.unfurl in %s refused: %s", channel, error.response.get("error"))
    except OSError as error:
        log.warning("chat.unfurl in %s failed: %s", channel, type(error).__name__)
    return False
