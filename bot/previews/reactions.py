"""Which run a 🔎 reaction may start: none while that message's run of the grid is pending
or its answer still reusable, else the next one, named by a dedupe key.

The key counts the message's earlier reaction runs (`reaction:<channel>:<ts>:<grid>:<n>`),
so two reactions handled at the same moment compute the same key and the run table's
unique dedupe key lets only one of them insert: one run however many people react.
"""

from __future__ import annotations

from bot.store.database import Store

PENDING = ("queued", "submitting", "running")
ANSWERED = ("completed", "reused")


def key_prefix(channel_id: str, message_ts: str, grid_id: str) -> str:
    return f"reaction:{channel_id}:{message_ts}:{grid_id}:"


def next_reaction_key(
    store: Store, channel_id: str, message_ts: str, grid_id: str, *, answered_since: float | None
) -> str | None:
    """The dedupe key for a new reaction run, or None when the message's last one is
    pending, or answered after `answered_since` (the reuse window's start; None: reuse is
    off, an answer never holds a new reaction back)."""
    prefix = key_prefix(channel_id, message_ts, grid_id)
    count, last = 0, None
    while (run := store.run_by_dedupe_key(f"{prefix}{count}")) is not None:  # index probes
        count, last = count + 1, run
    if last is not None:
        if last.state in PENDING:
            return None
        answered = last.finished_at or 0
        if last.state in ANSWERED and answered_since is not None and answered >= answered_since:
            return None
    return f"{prefix}{count}"
