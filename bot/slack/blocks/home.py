"""The App Home tab."""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.models.blocks import (
    Block,
)
from slack_sdk.models.views import View

from bot.slack.blocks.common import MAX_MODAL_BLOCKS
from bot.slack.blocks.help import help_blocks
from bot.slack.blocks.results import runs_list_blocks
from bot.store import Run


def home_view(runs: Sequence[Run]) -> dict:
    """The App Home tab: what the bot does, and the person's recent runs."""
    blocks = [Block.parse(b) for b in help_blocks() + runs_list_blocks(runs)]
    if len(blocks) > MAX_MODAL_BLOCKS:
        raise ValueError("too many blocks for the Home tab")
    return View(type="home", blocks=blocks).to_dict()
