"""A watch's messages in its thread: the first one, each firing's digest (within 50 blocks:
long lists cut, the attached file has them all) and the pause notice. watch_posts.py posts
them."""

from __future__ import annotations

from slack_sdk.models.blocks import ActionsBlock, Block

from bot.slack.blocks.common import (
    MAX_MESSAGE_BLOCKS,
    MAX_SECTION_TEXT,
    button,
    context,
    render,
    section,
    when,
)
from bot.slack.blocks.watches import RESUME_ACTION
from bot.slack.text import escape, mention, plural, truncate
from bot.watches.digest import Digest
from bot.watches.store import Watch

DIGEST_EVENT = "bitscale_watch_digest"
MAX_CHANGE_LINES = 30
MAX_FAILURE_LINES = 10


def thread_message(watch: Watch, fallback_reason: str | None = None) -> tuple[str, list[dict]]:
    grid = escape(truncate(watch.grid_name, 150))
    text = (f"👀 {mention(watch.owner)} is watching {plural(watch.rows, 'row')} of *{grid}* "
            f"{escape(watch.schedule.describe())}. Each firing's digest arrives in this thread.")
    blocks: list[Block] = [section(text)]
    if fallback_reason:
        blocks.append(context(f"Posted here because {escape(fallback_reason)}."))
    blocks.append(context("`/bitscale watches` to pause, edit, run now or delete it."))
    return text, render(blocks)


def digest_message(
    watch: Watch, digest: Digest, *, late: str | None, scheduled: float
) -> tuple[str, list[dict]]:
    """One message for one firing. No change: one short line. Long lists are cut here;
    the attached CSV has every row."""
    headline = digest.headline()
    if digest.quiet and not digest.first:
        line = f"✅ No change in {digest.total:,} {digest.noun} ({when(scheduled)})."
        if late:
            line += f" {escape(late)}"
        return f"No change in {digest.total:,} {digest.noun}", render([section(line)])
    blocks: list[Block] = [section(f"🔔 *{escape(headline)}* · {when(scheduled)}")]
    if late:
        blocks.append(context(f"⏰ {escape(late)}"))
    blocks += _lines_blocks(digest.lines(), MAX_CHANGE_LINES, "changed rows")
    if digest.failing:
        blocks.append(section(f"*Failing now ({len(digest.failing):,})*"))
        blocks += _lines_blocks(digest.failure_lines(), MAX_FAILURE_LINES, "failing rows")
    blocks.append(context("The attached CSV has the full diff and the whole current table."))
    assert len(blocks) <= MAX_MESSAGE_BLOCKS
    return f"{headline} ({watch.grid_name})", render(blocks)


def _lines_blocks(lines: list[str], limit: int, what: str) -> list[Block]:
    """Lines packed into sections under Slack's 3,000 characters each, at most `limit`
    lines; the rest counted."""
    blocks: list[Block] = []
    chunk: list[str] = []
    size = 0
    for line in lines[:limit]:
        text = "• " + escape(truncate(line, 600))
        if chunk and size + len(text) + 1 > MAX_SECTION_TEXT - 100:
            blocks.append(section("\n".join(chunk)))
            chunk, size = [], 0
        chunk.append(text)
        size += len(text) + 1
    if chunk:
        blocks.append(section("\n".join(chunk)))
    if len(lines) > limit:
        blocks.append(context(f"…and {len(lines) - limit:,} more {what} in the attached file."))
    return blocks


def paused_message(watch: Watch) -> tuple[str, list[dict]]:
    why = escape(truncate(watch.pause_reason or "it could not run", 1500))
    text = (f"⏸️ {mention(watch.owner)}, this watch paused and will not fire until it is "
            f"resumed: {why}")
    blocks: list[Block] = [
        section(text),
        context("When the budget or credits allow it again, press Resume (or use "
                "`/bitscale watches`); it fires again at its next time."),
        ActionsBlock(elements=[button("Resume", RESUME_ACTION, watch.id, "primary")]),
    ]
    return text, render(blocks)
