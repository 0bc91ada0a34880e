"""LinkedIn previews (the attachments chat.unfurl shows under a link), and the small
private answers to a 🔎 reaction and to detection. Everything from a link or a result is
escaped; the link's own URL is never written as a link (it is already in the message).

A card offers, it never spends: the only way to a run is a press of its button.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from slack_sdk.models.blocks import ActionsBlock, Block, Option, StaticSelectElement

from bot.leads.linkedin import LinkedInLink
from bot.previews.rules import Level
from bot.providers.base import ResultView
from bot.slack.blocks.common import button, context, render, section, when
from bot.slack.text import escape, format_value, humanize_key, mention, plain, truncate
from bot.store.run_record import Run

UNFURL_ENRICH_ACTION = "unfurl_enrich"
UNFURL_PICK_ACTION = "unfurl_pick_grid"
UNFURL_ALL_ACTION = "unfurl_enrich_all"
OPEN_PICKER_ACTION = "open_enrich_picker"  # no default grid: pick one, the form opens filled
DETECT_ENRICH_ACTION = "detect_enrich"
DETECT_DECLINE_ACTION = "detect_decline"
MAX_CARD_BLOCKS = 8  # a preview stays small: Slack allows 50, a channel wants a few
KEY_FIELDS = {Level.BUTTON: 3, Level.NAME: 3, Level.FULL: 6}
FIELD_CHARS = 150
MAX_PICKER_OPTIONS = 100  # Slack's limit for a static select


@dataclass
class CardGrid:
    """The grid a card offers (None on a card that asks for one)."""

    grid_id: str
    grid_name: str
    credits_per_run: float | None  # measured on recent runs; None when never measured


@dataclass
class Stored:
    """A result in the reuse window that this channel may see."""

    made_at: float
    made_by: str | None
    view: ResultView


def cost_words(grid: CardGrid | None, runs: int = 1) -> str:
    if grid is None or grid.credits_per_run is None:
        return "cost not measured yet"
    return f"≈{max(1, math.ceil(grid.credits_per_run * runs)):,} credits"


def _attachment(blocks: list[Block], fallback: str) -> dict[str, Any]:
    return {"blocks": render(blocks, MAX_CARD_BLOCKS), "fallback": plain(fallback, 150)}


def _headline(link: LinkedInLink) -> str:
    what = "LinkedIn profile" if link.kind == "person" else "LinkedIn company page"
    return f"*{escape(truncate(link.display_name, 100))}* · {what}"


def _picker(card_id: str, grids: list[tuple[str, str]]) -> StaticSelectElement:
    options = [
        Option(value=f"{card_id}|{grid_id}", text=plain(name, 75))
        for grid_id, name in grids[:MAX_PICKER_OPTIONS]
    ]
    return StaticSelectElement(
        action_id=UNFURL_PICK_ACTION, placeholder=plain("Pick a grid", 150), options=options
    )


def key_fields(view: ResultView, limit: int) -> list[str]:
    lines = []
    for item in view.items[:limit]:
        name = escape(truncate(str(item.label or humanize_key(item.key or "")), 80))
        lines.append(f"*{name}*: {escape(truncate(format_value(item.value), FIELD_CHARS))}")
    return lines


def offer_card(
    card_id: str,
    link: LinkedInLink,
    level: Level,
    *,
    grid: CardGrid | None,
    grids: list[tuple[str, str]] | None = None,
    stored: Stored | None = None,
    note: str | None = None,
) -> dict[str, Any]:
    """The card before anyone pressed anything: the level decides how much it shows."""
    blocks: list[Block] = []
    if level is not Level.BUTTON:
        blocks.append(section(_headline(link)))
    if stored is not None:
        by = f" by {mention(stored.made_by)}" if stored.made_by else ""
        if level is Level.FULL:
            fields = key_fields(stored.view, KEY_FIELDS[level])
            if fields:
                blocks.append(section("\n".join(fields)))
        blocks.append(context(f"♻️ Found {when(stored.made_at)}{by} · costs nothing to show"))
    elements: list[Any] = []
    if grid is not None:
        label = "Post the result in the thread" if stored else f"Enrich ({cost_words(grid)})"
        elements.append(button(label, UNFURL_ENRICH_ACTION, card_id, "primary"))
    if grids:
        elements.append(_picker(card_id, grids))
    if elements:
        blocks.append(ActionsBlock(elements=elements))
    if grid is not None and level is not Level.BUTTON:
        blocks.append(
            context(f"{escape(truncate(grid.grid_name, 100))} · nothing runs until you press")
        )
    elif grid is None and not grids:
        blocks.append(context("No grid here takes a LinkedIn link: ask an admin to add one."))
    if note:
        blocks.append(context(note))
    return _attachment(blocks, f"{link.display_name} on LinkedIn")


def running_card(link: LinkedInLink, level: Level, grid_name: str, user_id: str) -> dict[str, Any]:
    who = mention(user_id)
    grid = escape(truncate(grid_name, 100))
    name = "" if level is Level.BUTTON else f"{_headline(link)}\n"
    text = f"{name}⏳ {who} asked *{grid}*; the result will be in this message's thread."
    return _attachment([section(text)], f"Enriching {link.display_name}")


def done_card(link: LinkedInLink, level: Level, run: Run, view: ResultView) -> dict[str, Any]:
    """✅ with the key fields, or ❌ and why; the thread has the full result either way."""
    grid = escape(truncate(run.grid_name, 100))
    name = "" if level is Level.BUTTON else f"{_headline(link)}\n"
    if run.state in ("completed", "reused"):
        blocks: list[Block] = [section(f"{name}✅ *{grid}* for {mention(run.user_id)}")]
        fields = key_fields(view, KEY_FIELDS[level])
        if fields:
            blocks.append(section("\n".join(fields)))
        spent = "no credits spent (an earlier result)" if run.state == "reused" else "done"
        blocks.append(context(f"{spent} · the full result is in this message's thread"))
        return _attachment(blocks, f"{link.display_name}: {run.grid_name} done")
    why = escape(truncate(run.error_message or "no reason was given", 500))
    blocks = [
        section(f"{name}❌ *{grid}* for {mention(run.user_id)} did not finish: {why}"),
        context("The thread says what to do next."),
    ]
    return _attachment(blocks, f"{link.display_name}: {run.grid_name} did not finish")


def group_line(
    card_id: str, count: int, grid: CardGrid | None, *, progress: str | None = None
) -> dict[str, Any]:
    """The one line a message with many profiles gets instead of a card each."""
    if progress:
        return _attachment([context(progress)], progress)
    if grid is None:
        text = (
            f"{count} LinkedIn links in this message. This channel has no default grid that "
            "takes a LinkedIn link, so use *Enrich with BitScale* on the message instead."
        )
        return _attachment([context(text)], f"{count} LinkedIn links")
    label = f"Enrich all {count} ({cost_words(grid, count)})"
    blocks: list[Block] = [
        section(
            f"{count} LinkedIn links in this message: enrich them all with "
            f"*{escape(truncate(grid.grid_name, 100))}*?",
            accessory=button(label, UNFURL_ALL_ACTION, card_id),
        )
    ]
    return _attachment(blocks, f"{count} LinkedIn links: enrich them all")


def group_progress(done: int, failed: int, total: int, grid_name: str) -> str:
    grid = escape(truncate(grid_name, 100))
    if done + failed < total:
        return f"⏳ *{grid}*: {done + failed} of {total} done; results go in the thread."
    ended = "✅" if not failed else "⚠️"
    tail = f" ({failed} did not finish)" if failed else ""
    return f"{ended} *{grid}*: all {total} done{tail}; the results are in the thread."


# --- private answers (reactions, detection) -------------------------------------------------


def no_default_reaction_blocks(session: str) -> tuple[str, list[dict]]:
    text = (
        "This channel has no default grid, so a 🔎 reaction doesn't know what to run. Open "
        "the form to pick a grid (it opens filled in from the message), or ask an admin to "
        "set one with `/bitscale default <grid>`."
    )
    blocks: list[Block] = [
        section(text),
        ActionsBlock(elements=[button("Open the form", OPEN_PICKER_ACTION, session, "primary")]),
    ]
    return "No default grid: open the form", render(blocks)


def detect_offer_blocks(offer_id: str, value: str, grid_name: str) -> tuple[str, list[dict]]:
    question = f"Enrich {escape(truncate(value, 200))} with {escape(truncate(grid_name, 100))}?"
    blocks: list[Block] = [
        section(question),
        ActionsBlock(
            elements=[
                button("Enrich", DETECT_ENRICH_ACTION, offer_id, "primary"),
                button("Not in this channel", DETECT_DECLINE_ACTION, offer_id),
            ]
        ),
        context("Only you can see this. Nothing runs unless you press Enrich."),
    ]
    return question, render(blocks)
