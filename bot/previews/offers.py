"""Detection offers: in an opted-in channel, a message with a lead's domain or email gets
one private offer to its author. One row per message (its unique key makes a redelivered
or edited message's second offer a no-op), and one run per offer: the click that moves it
from `offered` to `taken` is the only one that starts anything.

SQL for SQLite and PostgreSQL alike; ids are text, times epoch seconds.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.store.database import Store

_TABLES = (
    "CREATE TABLE IF NOT EXISTS detect_offers (id TEXT PRIMARY KEY, channel_id TEXT NOT NULL, "
    "message_ts TEXT NOT NULL, user_id TEXT NOT NULL, grid_id TEXT NOT NULL, value TEXT NOT "
    "NULL, found TEXT NOT NULL, state TEXT NOT NULL, created_at REAL NOT NULL)",
    "CREATE UNIQUE INDEX IF NOT EXISTS detect_offers_once ON detect_offers "
    "(channel_id, message_ts)",
)


@dataclass
class Offer:
    id: str
    channel_id: str
    message_ts: str
    user_id: str
    grid_id: str
    value: str  # what the offer names ("acme.com")
    found: dict[str, Any]  # the message's extracted leads (Found.to_dict())
    state: str
    created_at: float


class DetectOffers:
    def __init__(self, store: Store, clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.clock = clock
        for statement in _TABLES:
            store.write(statement)

    def record(
        self,
        *,
        channel_id: str,
        message_ts: str,
        user_id: str,
        grid_id: str,
        value: str,
        found: dict[str, Any],
    ) -> Offer | None:
        """The message's offer, or None when it already had one."""
        rows = self.store.write(
            "INSERT INTO detect_offers (id, channel_id, message_ts, user_id, grid_id, value, "
            "found, state, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'offered', ?) "
            "ON CONFLICT (channel_id, message_ts) DO NOTHING RETURNING *",
            [
                uuid.uuid4().hex,
                channel_id,
                message_ts,
                user_id,
                grid_id,
                value,
                json.dumps(found),
                self.clock(),
            ],
        )
        return _offer(rows[0]) if rows else None

    def get(self, offer_id: str) -> Offer | None:
        cursor = self.store.db().execute("SELECT * FROM detect_offers WHERE id = ?", [offer_id])
        names = [d[0] for d in cursor.description or []]
        rows = cursor.fetchall()
        return _offer(dict(zip(names, rows[0], strict=False))) if rows else None

    def take(self, offer_id: str, state: str) -> Offer | None:
        """Move an offer on from `offered` (to `taken` or `declined`); None if it was not
        on offer any more (a second click)."""
        rows = self.store.write(
            "UPDATE detect_offers SET state = ? WHERE id = ? AND state = 'offered' RETURNING *",
            [state, offer_id],
        )
        return _offer(rows[0]) if rows else None

    def prune(self, older_than: float) -> int:
        """Forget offers made before `older_than` (their buttons then say so)."""
        gone = self.store.write(
            "DELETE FROM detect_offers WHERE created_at < ? RETURNING id", [older_than]
        )
        return len(gone)

    def count(self, channel_id: str | None = None) -> int:
        where, params = ("channel_id = ?", [channel_id]) if channel_id else ("1 = 1", [])
        rows = self.store.db().execute(f"SELECT COUNT(*) FROM detect_offers WHERE {where}", params)
        return int(rows.fetchone()[0])


def _offer(row: dict[str, Any]) -> Offer:
    data = dict(row)
    data["found"] = json.loads(data.get("found") or "{}")
    return Offer(**data)
