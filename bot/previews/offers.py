"""Detection offers: in an opted-in channel, a message with a lead's domain or email gets
one private offer to its author. One row per message (its unique key makes a redelivered
or edited message's second offer a no-op), and one run per offer: the click that moves it
from `offered` to `taken` is the only one that starts anything.

SQL for SQLite and PostgreSQL alike (named parameters through `store.sql`); ids are text,
times epoch seconds. The table is the schema's (bot/store/migrations).
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.store.database import Store


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
        rows = self.store.sql.write(
            "INSERT INTO detect_offers (id, channel_id, message_ts, user_id, grid_id, value, "
            "found, state, created_at) VALUES (:id, :channel_id, :message_ts, :user_id, "
            ":grid_id, :value, :found, 'offered', :created_at) "
            "ON CONFLICT (channel_id, message_ts) DO NOTHING RETURNING *",
            {
                "id": uuid.uuid4().hex,
                "channel_id": channel_id,
                "message_ts": message_ts,
                "user_id": user_id,
                "grid_id": grid_id,
                "value": value,
                "found": json.dumps(found),
                "created_at": self.clock(),
            },
        )
        return _offer(rows[0]) if rows else None

    def get(self, offer_id: str) -> Offer | None:
        row = self.store.sql.one("SELECT * FROM detect_offers WHERE id = :id", {"id": offer_id})
        return _offer(row) if row else None

    def take(self, offer_id: str, state: str) -> Offer | None:
        """Move an offer on from `offered` (to `taken` or `declined`); None if it was not
        on offer any more (a second click)."""
        rows = self.store.sql.write(
            "UPDATE detect_offers SET state = :state WHERE id = :id AND state = 'offered' "
            "RETURNING *",
            {"state": state, "id": offer_id},
        )
        return _offer(rows[0]) if rows else None

    def prune(self, older_than: float) -> int:
        """Forget offers made before `older_than` (their buttons then say so)."""
        return self.store.sql.run(
            "DELETE FROM detect_offers WHERE created_at < :older_than", {"older_than": older_than}
        )

    def count(self, channel_id: str | None = None) -> int:
        where = "channel_id = :channel_id" if channel_id else "1 = 1"
        return int(
            self.store.sql.scalar(
                f"SELECT COUNT(*) AS n FROM detect_offers WHERE {where}", {"channel_id": channel_id}
            )
        )


def _offer(row: dict[str, Any]) -> Offer:
    data = dict(row)
    data["found"] = json.loads(data.get("found") or "{}")
    return Offer(**data)
