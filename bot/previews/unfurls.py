"""The previews the bot gave: one row per card (or per "enrich them all" line), so that
Slack's duplicate and retried link_shared events, and double clicks, change nothing.

- One card per link per message: the key (channel, message, link) is unique, and a
  second insert is a no-op that returns nothing.
- The 30-minute rule is in the same statement: no row is made while a card for the same
  link was given in that channel within RECENT_SECONDS.
- One run per click: a card moves from `offered` to `running` in one conditional UPDATE;
  only the click that moved it starts a run.
- `unfurl_runs` maps each run to its card, so the card is redrawn in place when it ends.

SQL for SQLite and PostgreSQL alike; ids are text, times epoch seconds.
"""

from __future__ import annotations

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

_TABLES = (
    "CREATE TABLE IF NOT EXISTS unfurls (id TEXT PRIMARY KEY, channel_id TEXT NOT NULL, "
    "message_ts TEXT NOT NULL, url TEXT NOT NULL, kind TEXT NOT NULL, links TEXT NOT NULL, "
    "user_id TEXT, unfurl_id TEXT, source TEXT, level TEXT NOT NULL, grid_id TEXT, "
    "state TEXT NOT NULL, clicked_by TEXT, created_at REAL NOT NULL, updated_at REAL)",
    "CREATE UNIQUE INDEX IF NOT EXISTS unfurls_once ON unfurls (channel_id, message_ts, url)",
    "CREATE INDEX IF NOT EXISTS unfurls_recent ON unfurls (channel_id, url, created_at)",
    "CREATE TABLE IF NOT EXISTS unfurl_runs (run_id TEXT PRIMARY KEY, unfurl TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS unfurl_runs_card ON unfurl_runs (unfurl)",
)


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
        for statement in _TABLES:
            store.write(statement)

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
        rows = self.store.write(
            "INSERT INTO unfurls (id, channel_id, message_ts, url, kind, links, user_id, "
            "unfurl_id, source, level, grid_id, state, created_at, updated_at) "
            "SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ? WHERE NOT EXISTS ("
            "SELECT 1 FROM unfurls WHERE channel_id = ? AND url = ? AND kind = ? "
            "AND created_at >= ? AND message_ts <> ?) "
            "ON CONFLICT (channel_id, message_ts, url) DO NOTHING RETURNING *",
            [
                uuid.uuid4().hex,
                channel_id,
                message_ts,
                url,
                kind,
                json.dumps({c: sent for sent, c in links}),
                user_id,
                unfurl_id,
                source,
                level,
                grid_id,
                OFFERED,
                now,
                now,
                channel_id,
                url,
                ONE if kind == ONE else "-",  # a group line holds back no later card
                now - recent,
                message_ts,
            ],
        )
        return Unfurl.from_row(rows[0]) if rows else None

    def get(self, unfurl_id: str) -> Unfurl | None:
        rows = self._select("SELECT * FROM unfurls WHERE id = ?", [unfurl_id])
        if not rows:
            return None
        card = Unfurl.from_row(rows[0])
        found = self.store.db().execute(
            "SELECT run_id FROM unfurl_runs WHERE unfurl = ? ORDER BY run_id", [card.id]
        )
        card.run_ids = [r[0] for r in found.fetchall()]
        return card

    def for_run(self, run_id: str) -> Unfurl | None:
        rows = self.store.db().execute("SELECT unfurl FROM unfurl_runs WHERE run_id = ?", [run_id])
        found = rows.fetchall()
        return self.get(found[0][0]) if found else None

    def pick_grid(self, unfurl_id: str, grid_id: str) -> Unfurl | None:
        """Someone picked a grid on a card still on offer; None once it ran."""
        rows = self.store.write(
            "UPDATE unfurls SET grid_id = ?, updated_at = ? WHERE id = ? AND state = ? RETURNING *",
            [grid_id, self.clock(), unfurl_id, OFFERED],
        )
        return Unfurl.from_row(rows[0]) if rows else None

    def start(self, unfurl_id: str, user_id: str, grid_id: str) -> Unfurl | None:
        """The click that moves a card from offered to running; None for every other. A
        card left running with no run for STUCK_SECONDS (its process died between the
        click and the run's record) may be pressed again."""
        now = self.clock()
        rows = self.store.write(
            "UPDATE unfurls SET state = ?, clicked_by = ?, grid_id = ?, updated_at = ? "
            "WHERE id = ? AND (state = ? OR (state = ? AND updated_at < ? AND NOT EXISTS "
            "(SELECT 1 FROM unfurl_runs WHERE unfurl_runs.unfurl = unfurls.id))) RETURNING *",
            [RUNNING, user_id, grid_id, now, unfurl_id, OFFERED, RUNNING, now - STUCK_SECONDS],
        )
        return Unfurl.from_row(rows[0]) if rows else None

    def reopen(self, unfurl_id: str) -> None:
        """The run could not start (refused, inputs missing): the card is on offer again."""
        self.store.write(
            "UPDATE unfurls SET state = ?, clicked_by = NULL, updated_at = ? "
            "WHERE id = ? AND state = ?",
            [OFFERED, self.clock(), unfurl_id, RUNNING],
        )

    def attach_run(self, unfurl_id: str, run_id: str) -> None:
        self.store.write(
            "INSERT INTO unfurl_runs (run_id, unfurl) VALUES (?, ?) "
            "ON CONFLICT (run_id) DO NOTHING",
            [run_id, unfurl_id],
        )

    def finish(self, unfurl_id: str) -> None:
        self.store.write(
            "UPDATE unfurls SET state = ?, updated_at = ? WHERE id = ?",
            [DONE, self.clock(), unfurl_id],
        )

    def forget(self, unfurl_id: str) -> None:
        """A card Slack refused to show: no record, so a later post may try again."""
        self.store.write("DELETE FROM unfurl_runs WHERE unfurl = ?", [unfurl_id])
        self.store.write("DELETE FROM unfurls WHERE id = ?", [unfurl_id])

    def prune(self, older_than: float) -> int:
        """Forget cards made before `older_than` (a press on one is told it expired)."""
        self.store.write(
            "DELETE FROM unfurl_runs WHERE unfurl IN (SELECT id FROM unfurls WHERE created_at < ?)",
            [older_than],
        )
        gone = self.store.write(
            "DELETE FROM unfurls WHERE created_at < ? RETURNING id", [older_than]
        )
        return len(gone)

    def count(self, channel_id: str | None = None) -> int:
        where, params = ("channel_id = ?", [channel_id]) if channel_id else ("1 = 1", [])
        rows = self.store.db().execute(f"SELECT COUNT(*) FROM unfurls WHERE {where}", params)
        return int(rows.fetchone()[0])

    def _select(self, sql: str, params: list[Any]) -> list[dict[str, Any]]:
        cursor = self.store.db().execute(sql, params)
        names = [d[0] for d in cursor.description or []]
        return [dict(zip(names, row, strict=False)) for row in cursor.fetchall()]
