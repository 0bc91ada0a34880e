"""The page choice in the message shortcut: Score page / Rewrite suggestions (Bittlebits)."""

from __future__ import annotations

from slack_sdk.models.blocks import ActionsBlock, Block

from bot.slack.blocks.common import button, context, section
from bot.slack.text import escape, truncate

PAGE_SCORE_ACTION = "page_score"
PAGE_REWRITE_ACTION = "page_rewrite"


def page_choice_blocks(url: str) -> list[Block]:
    """For a message that holds a web address: ask Bittlebits about that page instead."""
    shown = escape(truncate(url, 300))
    return [
        section(f"*Or look at the page in the message*\n{shown}"),
        ActionsBlock(
            block_id="page_choice",
            elements=[
                button("Score page", PAGE_SCORE_ACTION, url[:2000]),
                button("Rewrite suggestions", PAGE_REWRITE_ACTION, url[:2000]),
            ],
        ),
        context(
            "Bittlebits scores how the page reads to AI search engines, or suggests "
            "rewrites; the result goes to the message's thread."
        ),
    ]
