"""Each channel's default grid, for quick runs by mention, stored beside the runs."""

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

    def get(self, channel_id: str | None) -> ChannelDefault | None:
        if not channel_id:
            return None
        row = self.store.sql.one(
            "SELECT channel_id, grid_id, grid_name, set_by, set_at FROM channel_defaults "
            "WHERE channel_id = :channel_id",
            {"channel_id": channel_id},
        )
        return ChannelDefault(**row) if row else None

    def set(self, channel_id: str, grid_id: str, grid_name: str, user_id: str) -> ChannelDefault:
        row = ChannelDefault(channel_id, grid_id, grid_name, user_id, self.clock())
        self.store.sql.upsert("channel_defaults", row.__dict__, key="channel_id")
        return row

    def clear(self, channel_id: str) -> ChannelDefault | None:
        """Remove the channel's default; returns what it was."""
        old = self.get(channel_id)
        if old is not None:
            self.store.sql.run(
                "DELETE FROM channel_defaults WHERE channel_id = :channel_id",
                {"channel_id": channel_id},
            )
        return old
