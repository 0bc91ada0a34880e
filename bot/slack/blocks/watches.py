"""Watches in a list: `/bitscale watches` with each watch's buttons, the Home tab's lines,
and the words that describe a watch (the form and the thread use them too). The form's
screens are in watch_forms.py, the thread's messages in watch_messages.py."""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.models.blocks import ActionsBlock, Block, ConfirmObject

from bot.slack.blocks.common import button, context, render, section, when
from bot.slack.text import channel_link, escape, mention, plural, truncate
from bot.watches.store import Watch

PAUSE_ACTION, RESUME_ACTION = "watch_pause", "watch_resume"
EDIT_ACTION, RUN_NOW_ACTION, DELETE_ACTION = "watch_edit", "watch_run_now", "watch_delete"
MAX_LISTED = 20  # watches in one /bitscale watches answer (2 blocks each)
STATE_WORDS = {
    "awaiting_approval": "⏳ waiting for an admin's approval",
    "active": "👀 on",
    "paused": "⏸️ paused",
}


# --- words -----------------------------------------------------------------------------


def where(watch: Watch) -> str:
    return channel_link(watch.channel_id) if watch.channel_id else "a direct message (Only me)"


def describe_watch(watch: Watch) -> str:
    noun = "row" if watch.rows == 1 else "rows"
    return (f"{watch.rows:,} {noun} of {watch.grid_name}, {watch.schedule.describe()}; "
            f"digests in {'direct messages' if not watch.channel_id else 'the channel'}")


def summary_line(watch: Watch, *, with_owner: bool = False) -> str:
    grid = f"*{escape(truncate(watch.grid_name, 120))}*"
    parts = [f"{STATE_WORDS.get(watch.state, watch.state)} {grid}",
             plural(watch.rows, "row"), escape(watch.schedule.describe())]
    if with_owner:
        parts.append(f"by {mention(watch.owner)}")
    lines = [" · ".join(parts)]
    nxt = when(watch.next_at) if watch.state == "active" else "—"
    last = escape(watch.last_result) if watch.last_result else "no firing yet"
    money = "unknown yet" if watch.monthly_credits is None \
        else f"about {watch.monthly_credits:,.0f} credits"
    lines.append(f"Next: {nxt} · Last: {last} · Cost a month: {money} · Digests: "
                 f"{where(watch)}")
    if watch.state == "paused" and watch.pause_reason:
        lines.append(f"Paused: {escape(truncate(watch.pause_reason, 300))}")
    return "\n".join(lines)


# --- the list ----------------------------------------------------------------------------


def list_blocks(watches: Sequence[Watch], *, everyone: bool) -> list[dict]:
    if not watches:
        return render([section(
            "No watches yet. `/bitscale watch <grid>` re-runs a grid on your rows on a "
            "schedule and posts only what changed.")])
    title = "All watches (you are an admin)" if everyone else "Your watches"
    blocks: list[Block] = [section(f"*{title}*")]
    for watch in watches[:MAX_LISTED]:
        blocks.append(section(summary_line(watch, with_owner=everyone), block_id=f"w:{watch.id}"))
        blocks.append(ActionsBlock(elements=controls(watch)))
    if len(watches) > MAX_LISTED:
        blocks.append(context(f"…and {len(watches) - MAX_LISTED} more."))
    return render(blocks)


def controls(watch: Watch) -> list:
    toggle = (button("Resume", RESUME_ACTION, watch.id, "primary") if watch.state == "paused"
              else button("Pause", PAUSE_ACTION, watch.id))
    delete = button("Delete", DELETE_ACTION, watch.id, "danger")
    delete.confirm = ConfirmObject(title="Delete this watch?", text=(
        "It stops firing. Its past digests stay in their thread."), confirm="Delete",
        deny="Keep it", style="danger")
    items = [button("Edit", EDIT_ACTION, watch.id), button("Run now", RUN_NOW_ACTION, watch.id),
             delete]
    return ([toggle] if watch.state != "awaiting_approval" else []) + items


def home_lines(watches: Sequence[Watch], limit: int = 5) -> list[str]:
    return [summary_line(w) for w in watches[:limit]]
