"""Per-channel preview choices (the level, opt-in detection) set by admins, and each
person's own: previews muted, detection offers declined in a channel.

Plain SQL that runs on SQLite and PostgreSQL alike (named parameters through `store.sql`):
upserts by primary key, epoch seconds. The tables are the schema's (bot/store/migrations).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from bot.previews.rules import Level, parse_level
from bot.store.database import Store


@dataclass
class ChannelChoice:
    channel_id: str
    level: Level | None  # None: never set, the default applies
    detect: bool
    set_by: str | None
    set_at: float | None


class PreviewSettings:
    def __init__(self, store: Store, clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.clock = clock

    # --- channels (admins) --------------------------------------------------------------

    def channel(self, channel_id: str | None) -> ChannelChoice:
        row = self.store.sql.one(
            "SELECT level, detect, set_by, set_at FROM preview_channels "
            "WHERE channel_id = :channel_id",
            {"channel_id": channel_id or ""},
        )
        if row is None:
            return ChannelChoice(channel_id or "", None, False, None, None)
        return ChannelChoice(
            channel_id or "",
            parse_level(row["level"] or ""),
            bool(row["detect"]),
            row["set_by"],
            row["set_at"],
        )

    def set_level(self, channel_id: str, level: Level, user_id: str) -> None:
        self.store.sql.run(
            "INSERT INTO preview_channels (channel_id, level, detect, set_by, set_at) "
            "VALUES (:channel_id, :level, 0, :set_by, :set_at) ON CONFLICT (channel_id) "
            "DO UPDATE SET level = excluded.level, set_by = excluded.set_by, "
            "set_at = excluded.set_at",
            {
                "channel_id": channel_id,
                "level": level.value,
                "set_by": user_id,
                "set_at": self.clock(),
            },
        )

    def set_detect(self, channel_id: str, on: bool, user_id: str) -> bool:
        """Turn detection on or off; returns whether it was on before."""
        before = self.channel(channel_id).detect
        self.store.sql.run(
            "INSERT INTO preview_channels (channel_id, level, detect, set_by, set_at) "
            "VALUES (:channel_id, NULL, :detect, :set_by, :set_at) ON CONFLICT (channel_id) "
            "DO UPDATE SET detect = excluded.detect, set_by = excluded.set_by, "
            "set_at = excluded.set_at",
            {
                "channel_id": channel_id,
                "detect": 1 if on else 0,
                "set_by": user_id,
                "set_at": self.clock(),
            },
        )
        return before

    def detecting(self) -> list[str]:
        """The channels where detection is on (for the admin form)."""
        rows = self.store.sql.query(
            "SELECT channel_id FROM preview_channels WHERE detect = 1 ORDER BY channel_id"
        )
        return [r["channel_id"] for r in rows]

    # --- people -------------------------------------------------------------------------

    def muted(self, user_id: str | None) -> bool:
        row = self.store.sql.one(
            "SELECT 1 AS muted FROM preview_mutes WHERE user_id = :user_id",
            {"user_id": user_id or ""},
        )
        return row is not None

    def mute(self, user_id: str, muted: bool) -> bool:
        """Mute or unmute previews of the links this person posts; returns the old state."""
        before = self.muted(user_id)
        if muted:
            self.store.sql.insert(
                "preview_mutes",
                {"user_id": user_id, "muted_at": self.clock()},
                ignore_conflict=True,
            )
        else:
            self.store.sql.run(
                "DELETE FROM preview_mutes WHERE user_id = :user_id", {"user_id": user_id}
            )
        return before

    def declined(self, user_id: str, channel_id: str) -> bool:
        row = self.store.sql.one(
            "SELECT 1 AS declined FROM detect_declines "
            "WHERE user_id = :user_id AND channel_id = :channel_id",
            {"user_id": user_id, "channel_id": channel_id},
        )
        return row is not None

    def decline(self, user_id: str, channel_id: str) -> None:
        """ "Not in this channel": no more detection offers to this person here."""
        self.store.sql.insert(
            "detect_declines",
            {"user_id": user_id, "channel_id": channel_id, "declined_at": self.clock()},
            ignore_conflict=True,
        )
