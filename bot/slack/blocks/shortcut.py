"""The message shortcut "Enrich with BitScale": a grid picker that shows what the message
holds. (A message carrying a CSV file goes to the batch form instead.)"""

from __future__ import annotations

from slack_sdk.models.blocks import Block

from bot.leads.extract import Found
from bot.slack.blocks.common import context, modal, section
from bot.slack.blocks.fields import grid_picker
from bot.slack.blocks.pages import page_choice_blocks
from bot.slack.text import escape, truncate

MESSAGE_SHORTCUT = "enrich_with_bitscale"
MAX_FOUND_LINES = 8


def found_lines(found: Found) -> str:
    """What was read from the message, as a short mrkdwn list."""
    pairs = found.summary()
    lines = [f"• {kind}: {escape(truncate(value, 120))}" for kind, value in pairs[:MAX_FOUND_LINES]]
    if len(pairs) > MAX_FOUND_LINES:
        lines.append(f"• …and {len(pairs) - MAX_FOUND_LINES} more")
    return "\n".join(lines)


def enrich_picker_modal(session: str, found: Found, page_url: str | None = None) -> dict:
    """Step one: pick a grid; its form then opens pre-filled from the message. With
    `page_url` (the message holds a web address and Bittlebits is set up), the page can be
    scored or rewritten instead."""
    if found.summary():
        seen = section("*Found in the message*\n" + found_lines(found))
    else:
        seen = section(
            "I found no emails, websites, LinkedIn profiles, phone numbers or names in this "
            "message, so the form will start empty."
        )
    blocks: list[Block] = [
        grid_picker(dispatch_action=True),
        seen,
        context(
            "Pick a grid: its form opens filled in with what fits. Nothing runs until you "
            "press *Run*; the result goes to the message's thread."
        ),
    ]
    if page_url:
        blocks += page_choice_blocks(page_url)
    return modal("Enrich with BitScale", blocks, private_metadata=session)
