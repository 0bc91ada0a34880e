"""What a failed, interrupted or expired run says: what happened, whether trying again is
likely to help, the word on credits, and where to look."""

from __future__ import annotations

import re

from slack_sdk.models.blocks import Block

from bot.slack.blocks.common import context, section
from bot.store.run_record import Run

STREAK = 3  # this many alike failures in a row: trying again is unlikely to help
GRID_URL = "https://app.bitscale.ai/grid/{}"
CREDITS_HINT = "`/bitscale credits` shows what is left."
# Refused before anything ran (BitScale checks these before it adds a row).
REFUSED_BEFORE_RUNNING = {
    "INVALID_API_KEY",
    "MISSING_REQUIRED_FIELD",
    "INVALID_REQUEST",
    "MISSING_SOURCE",
    "INVALID_SOURCE",
    "MISSING_SOURCE_COLUMN",
    "INVALID_INPUTS",
    "INVALID_OUTPUT_COLUMN",
    "GRID_NOT_FOUND",
    "WORKSPACE_NOT_FOUND",
    "FEATURE_DISABLED",
}


def grid_link(run: Run) -> str:
    grid_id = re.sub(r"[^A-Za-z0-9_-]", "", run.grid_id)[:64]
    return f"<{GRID_URL.format(grid_id)}|the grid in BitScale>"


def advice(run: Run) -> tuple[str, str, str]:
    """(trying again, credits, where to look) for a run that did not complete."""
    grid = grid_link(run)
    if run.state == "interrupted":
        return (
            "Check the grid before trying again: if the row is there, it ran, and running "
            "again would add a second row.",
            f"If BitScale started it, it spent credits as usual. {CREDITS_HINT}",
            f"Look for a row with these inputs in {grid}.",
        )
    if run.state == "expired":
        return (
            "BitScale may still finish it: check the grid first. A new run would likely take "
            "as long.",
            f"It may still spend credits as its columns fill in. {CREDITS_HINT}",
            f"The row fills in over time in {grid}.",
        )
    if run.error_code == "REQUEST_NOT_FOUND":
        # The provider lost track of it: how it ended is unknown, not a passing problem.
        return (
            "BitScale no longer knows this run, so how it ended is unknown: it may have "
            "finished. Look for its row before running again, or a second row is added.",
            f"If it ran, it spent credits as usual. {CREDITS_HINT}",
            f"Look for a row with these inputs in {grid}.",
        )
    if run.error_code in REFUSED_BEFORE_RUNNING:
        return (
            "Trying again unchanged will be refused the same way: fix what the message above "
            "says first.",
            "Nothing ran: no row was added and no credits were spent.",
            f"The grid's settings (API source, columns) are in {grid}.",
        )
    if run.same_failures >= STREAK:
        retry = (
            f"This grid failed the same way on its last {run.same_failures} runs, so trying "
            "again is unlikely to help until it is fixed: ask the grid's owner to check the "
            "failing column's provider."
        )
    else:
        retry = (
            "Trying again may help if the provider had a passing problem. If an input looks "
            "wrong, fix it with *Edit and run again*."
        )
    return (
        retry,
        "The run added a row, and columns that ran before the error may have spent credits. "
        + CREDITS_HINT,
        f"The failing column's cell in the new row of {grid} shows the provider's error.",
    )


def failure_blocks(run: Run) -> list[Block]:
    again, credits, where = advice(run)
    return [
        section(f"*Trying again:* {again}"),
        context(f"*Credits:* {credits}  ·  *Where to look:* {where}"),
    ]
