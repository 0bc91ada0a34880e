"""Each channel's default grid, for quick runs by mention. Stored in SQLite beside the runs."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from bot.store.database import Store


@dataclass
class ChannelDefault:
    channel_id: str
    grid_id: str
    grid_name: str
    set_by: str
    set_at: float


class ChannelDefaults:
    def __init__(self, store: Store, clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.clock = clock
        store.db()["channel_defaults"].create(
            {"channel_id": str, "grid_id": str, "grid_name": str, "set_by": str, "set_at": float},
            pk="channel_id",
            if_not_exists=True,
        )

    def get(self, channel_id: str | None) -> ChannelDefault | None:
        if not channel_id:
            return None
        rows = list(
            self.store.db()["channel_defaults"].rows_where("channel_id = ?", [channel_id], limit=1)
        )
        return ChannelDefault(**rows[0]) if rows else None

    def set(self, channel_id: str, grid_id: str, grid_name: str, user_id: str) -> ChannelDefault:
        row = ChannelDefault(channel_id, grid_id, grid_name, user_id, self.clock())
        db = self.store.db()
        db["channel_defaults"].upsert(row.__dict__, pk="channel_id")
        db.conn.commit()
        return row

    def clear(self, channel_id: str) -> ChannelDefault | None:
        """Remove the channel's default; returns what it was."""
        old = self.get(channel_id)
        if old is not None:
            db = self.store.db()
            db["channel_defaults"].delete(channel_id)
            db.conn.commit()
        return old
