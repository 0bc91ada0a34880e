"""The previews the bot gave: one row per card (or per "enrich them all" line), so that
Slack's duplicate and retried link_shared events, and double clicks, change nothing.

- One card per link per message: the key (channel, message, link) is unique, and a
  second insert is a no-op that returns nothing.
- The 30-minute rule is in the same statement: no row is made while a card for the same
  link was given in that channel within RECENT_SECONDS. On PostgreSQL that statement runs
  under a transaction lock on (channel, link), so two processes handling two messages with
  the same link at once still give one card (SQLite has one writer at a time already).
- One run per click: a card moves from `offered` to `running` in one conditional UPDATE;
  only the click that moved it starts a run.
- `unfurl_runs` maps each run to its card, so the card is redrawn in place when it ends.

SQL for SQLite and PostgreSQL alike (named parameters through `store.sql`); ids are text,
times epoch seconds. The tables are the schema's (bot/store/migrations).
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bot.previews.rules import RECENT_SECONDS
from bot.store.database import Store

ONE, GROUP = "one", "group"  # a card for one link, or one line for many
OFFERED, RUNNING, DONE = "offered", "running", "done"
STUCK_SECONDS = 120.0  # a press records its run within a second or two


@dataclass
class Unfurl:
    id: str
    channel_id: str
    message_ts: str
    url: str  # canonical: the first link's, for a group
    kind: str
    links: dict[str, str]  # canonical URL → the link as Slack sent it (chat.unfurl's key)
    user_id: str | None
    unfurl_id: str | None
    source: str | None
    level: str
    grid_id: str | None
    state: str
    clicked_by: str | None = None
    created_at: float = 0.0
    updated_at: float | None = None
    run_ids: list[str] = field(default_factory=list)

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Unfurl:
        data = {k: row.get(k) for k in cls.__dataclass_fields__ if k != "run_ids"}
        data["links"] = json.loads(row.get("links") or "{}")
        return cls(**data)

    @property
    def link(self) -> str:
        """The link as Slack sent it, for the card's own URL."""
        return self.links.get(self.url) or self.url


class UnfurlRecords:
    def __init__(self, store: Store, clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.clock = clock

    def claim(
        self,
        *,
        channel_id: str,
        message_ts: str,
        links: list[tuple[str, str]],
        kind: str,
        level: str,
        user_id: str | None,
        unfurl_id: str | None,
        source: str | None,
        grid_id: str | None,
        recent: float = RECENT_SECONDS,
    ) -> Unfurl | None:
        """Record a card for `links` ((as sent, canonical) pairs; one unless a group), or
        None when this message already has it, or (for one link) the link had a card in
        this channel within `recent` seconds."""
        now = self.clock()
        url = links[0][1]
        params = {
            "id": uuid.uuid4().hex,
            "channel_id": channel_id,
            "message_ts": message_ts,
            "url": url,
            "kind": kind,
            "links": json.dumps({c: sent for sent, c in links}),
            "user_id": user_id,
            "unfurl_id": unfurl_id,
            "source": source,
            "level": level,
            "grid_id": grid_id,
            "state": OFFERED,
            "now": now,
            "held_by": ONE if kind == ONE else "-",  # a group line holds back no later card
            "recent_since": now - recent,
        }
        with self.store.sql.transaction() as tx:
            if self.store.postgres:
                # Wait for any other process giving this link a card in this channel, so
                # the NOT EXISTS below sees its row (each statement reads afresh).
                tx.run("SELECT pg_advisory_xact_lock(:key)", {"key": _lock_key(channel_id, url)})
            rows = tx.write(_CLAIM, params)
        return Unfurl.from_row(rows[0]) if rows else None

    def get(self, unfurl_id: str) -> Unfurl | None:
        row = self.store.sql.one("SELECT * FROM unfurls WHERE id = :id", {"id": unfurl_id})
        if row is None:
            return None
        card = Unfurl.from_row(row)
        found = self.store.sql.query(
            "SELECT run_id FROM unfurl_runs WHERE unfurl = :unfurl ORDER BY run_id",
            {"unfurl": card.id},
        )
        card.run_ids = [r["run_id"] for r in found]
        return card

    def for_run(self, run_id: str) -> Unfurl | None:
        card_id = self.store.sql.scalar(
            "SELECT unfurl FROM unfurl_runs WHERE run_id = :run_id", {"run_id": run_id}
        )
        return self.get(card_id) if card_id else None

    def pick_grid(self, unfurl_id: str, grid_id: str) -> Unfurl | None:
        """Someone picked a grid on a card still on offer; None once it ran."""
        rows = self.store.sql.write(
            "UPDATE unfurls SET grid_id = :grid_id, updated_at = :now "
            "WHERE id = :id AND state = :offered RETURNING *",
            {"grid_id": grid_id, "now": self.clock(), "id": unfurl_id, "offered": OFFERED},
        )
        return Unfurl.from_row(rows[0]) if rows else None

    def start(self, unfurl_id: str, user_id: str, grid_id: str) -> Unfurl | None:
        """The click that moves a card from offered to running; None for every other. A
        card left running with no run for STUCK_SECONDS (its process died between the
        click and the run's record) may be pressed again."""
        now = self.clock()
        rows = self.store.sql.write(
            "UPDATE unfurls SET state = :running, clicked_by = :user_id, grid_id = :grid_id, "
            "updated_at = :now WHERE id = :id AND (state = :offered OR (state = :running "
            "AND updated_at < :stuck_before AND NOT EXISTS "
            "(SELECT 1 FROM unfurl_runs WHERE unfurl_runs.unfurl = unfurls.id))) RETURNING *",
            {
                "running": RUNNING,
                "offered": OFFERED,
                "user_id": user_id,
                "grid_id": grid_id,
                "now": now,
                "id": unfurl_id,
                "stuck_before": now - STUCK_SECONDS,
            },
        )
        return Unfurl.from_row(rows[0]) if rows else None

    def reopen(self, unfurl_id: str) -> None:
        """The run could not start (refused, inputs missing): the card is on offer again."""
        self.store.sql.run(
            "UPDATE unfurls SET state = :offered, clicked_by = NULL, updated_at = :now "
            "WHERE id = :id AND state = :running",
            {"offered": OFFERED, "now": self.clock(), "id": unfurl_id, "running": RUNNING},
        )

    def attach_run(self, unfurl_id: str, run_id: str) -> None:
        self.store.sql.insert(
            "unfurl_runs", {"run_id": run_id, "unfurl": unfurl_id}, ignore_conflict=True
        )

    def finish(self, unfurl_id: str) -> None:
        self.store.sql.run(
            "UPDATE unfurls SET state = :done, updated_at = :now WHERE id = :id",
            {"done": DONE, "now": self.clock(), "id": unfurl_id},
        )

    def forget(self, unfurl_id: str) -> None:
        """A card Slack refused to show: no record, so a later post may try again."""
        with self.store.sql.transaction() as tx:
            tx.run("DELETE FROM unfurl_runs WHERE unfurl = :id", {"id": unfurl_id})
            tx.run("DELETE FROM unfurls WHERE id = :id", {"id": unfurl_id})

    def prune(self, older_than: float) -> int:
        """Forget cards made before `older_than` (a press on one is told it expired)."""
        cut = {"older_than": older_than}
        with self.store.sql.transaction() as tx:
            tx.run(
                "DELETE FROM unfurl_runs WHERE unfurl IN "
                "(SELECT id FROM unfurls WHERE created_at < :older_than)",
                cut,
            )
            return tx.run("DELETE FROM unfurls WHERE created_at < :older_than", cut)

    def count(self, channel_id: str | None = None) -> int:
        where = "channel_id = :channel_id" if channel_id else "1 = 1"
        return int(
            self.store.sql.scalar(
                f"SELECT COUNT(*) AS n FROM unfurls WHERE {where}", {"channel_id": channel_id}
            )
        )


# One card per message and link (the unique key), and none while the link had a card in
# the channel within the recent window (NOT EXISTS), in one statement.
_CLAIM = (
    "INSERT INTO unfurls (id, channel_id, message_ts, url, kind, links, user_id, unfurl_id, "
    "source, level, grid_id, state, created_at, updated_at) "
    "SELECT :id, :channel_id, :message_ts, :url, :kind, :links, :user_id, :unfurl_id, "
    ":source, :level, :grid_id, :state, :now, :now WHERE NOT EXISTS ("
    "SELECT 1 FROM unfurls WHERE channel_id = :channel_id AND url = :url AND kind = :held_by "
    "AND created_at >= :recent_since AND message_ts <> :message_ts) "
    "ON CONFLICT (channel_id, message_ts, url) DO NOTHING RETURNING *"
)


def _lock_key(channel_id: str, url: str) -> int:
    """A signed 64-bit number for (channel, link): PostgreSQL's advisory lock key."""
    digest = hashlib.blake2b(f"unfurl\0{channel_id}\0{url}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)
