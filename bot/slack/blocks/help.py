"""Help and the replies to words the bot does not know."""

from __future__ import annotations

from slack_sdk.models.blocks import (
    Block,
)

from bot.slack.blocks.common import context, render, section
from bot.slack.text import escape, truncate

COMMANDS = [
    ("help", "`/bitscale help`", "Show this help."),
    (
        "grids",
        "`/bitscale grids [search]`",
        "List the workspace's grids, with a Run button "
        "for each. Example: `/bitscale grids company`",
    ),
    (
        "run",
        "`/bitscale run <grid name or id>`",
        "Open the form to run a grid. Example: `/bitscale run Company Enrichment`",
    ),
    (
        "batch",
        "`/bitscale batch <grid name or id>`",
        "Enrich a CSV of leads: upload it, match its columns to the grid's inputs, see "
        "the rows and credits it will take, and get the enriched CSV back in the thread. "
        "Example: `/bitscale batch Company Enrichment`",
    ),
    (
        "score",
        "`/bitscale score <page URL>`",
        "How a web page reads to AI search engines: Bittlebits scores its GEO metrics "
        "(0–10 each). Example: `/bitscale score https://prospect.example/pricing`",
    ),
    (
        "rewrite",
        "`/bitscale rewrite <page URL>`",
        "Bittlebits' rewrite suggestions for a page: current text → suggested text, and why.",
    ),
    (
        "status",
        "`/bitscale status <ref>`",
        "Where a run is, and its result when done. The ref is shown under each result and "
        "in `/bitscale runs`; a BitScale request id works too.",
    ),
    (
        "runs",
        "`/bitscale runs`",
        "Your 10 most recent runs, with their refs, threads and a Status button.",
    ),
    ("credits", "`/bitscale credits`", "The workspace's plan, credits and searches left."),
    (
        "dms",
        "`/bitscale dms [on | off]`",
        "DMs about your own batches when they finish, pause or wait for approval.",
    ),
    (
        "default",
        "`/bitscale default [<grid> | off]`",
        "Show, set or clear this channel's default grid; then `@BitScale acme.com` runs it "
        "and answers in the thread.",
    ),
    (
        "detect",
        "`/bitscale detect [on | off]`",
        "Admins: offer people, privately, to enrich a domain or email they post here.",
    ),
    (
        "previews",
        "`/bitscale previews [off | button | name | full | mute]`",
        "LinkedIn link previews here (admins), or none for your links. 🔎 on a message "
        "runs the default grid.",
    ),
    (
        "usage",
        "`/bitscale usage`",
        "Rows and estimated credits this month: yours, or everyone's for admins.",
    ),
    (
        "admin",
        "`/bitscale admin`",
        "Admins: who may run which grid, daily row budgets, batch approvals, credit "
        "alerts, and rotating the API key.",
    ),
    (
        "audit",
        "`/bitscale audit [@person | grid]`",
        "Admins: the latest audit entries (runs, batches, refusals, approvals, setting "
        "changes, key rotations), with a CSV export.",
    ),
]


def help_blocks(intro: str | None = None) -> list[dict]:
    if intro is None:
        return [dict(b) for b in _PLAIN_HELP]
    return _help_blocks(intro)


def _help_blocks(intro: str | None) -> list[dict]:
    blocks: list[Block] = []
    if intro:
        blocks.append(section(intro))
    blocks.append(
        section(
            "*BitScale for Slack* runs your BitScale grids without leaving Slack: pick a grid, "
            "fill in its inputs, and the enriched result arrives in a thread here."
        )
    )
    lines = "\n".join(f"{usage} — {what}" for _, usage, what in COMMANDS)
    blocks.append(section(lines))
    blocks.append(
        context(
            "Tip: the ⚡ shortcut *Run a BitScale grid* works from anywhere, and *Enrich with "
            "BitScale* in a message's ⋮ menu fills the form from that message. In Workflow "
            "Builder, add the step *Run a BitScale grid*."
        )
    )
    blocks.append(
        context(
            "🔒 In the run form, *Send the result to → Only me* keeps a run out of the channel "
            "(it comes by direct message); *Edit and run again* keeps that choice."
        )
    )
    blocks.append(
        context(
            "♻️ Asked the same thing recently? The earlier answer is posted at once, free, "
            "and says when it was made (and by whom, unless it was asked in private); press "
            "*Run fresh* for new data."
        )
    )
    return render(blocks)


_PLAIN_HELP = _help_blocks(None)  # built once: the most frequent reply


def unknown_command_blocks(word: str, suggestion: str | None = None) -> list[dict]:
    """Help after a word the bot does not know; `suggestion` is the command it likely meant."""
    said = f"I don't know `{escape(truncate(word, 60))}`."
    if suggestion:
        return help_blocks(
            f"{said} Did you mean `{escape(truncate(suggestion, 200))}`? Here is what I can do:"
        )
    return help_blocks(f"{said} Here is what I can do:")
