"""Per-channel preview choices (the level, opt-in detection) set by admins, and each
person's own: previews muted, detection offers declined in a channel.

Plain SQL that runs on SQLite and PostgreSQL alike: upserts by primary key, epoch seconds.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from bot.previews.rules import Level, parse_level
from bot.store.database import Store

_TABLES = (
    "CREATE TABLE IF NOT EXISTS preview_channels (channel_id TEXT PRIMARY KEY, level TEXT, "
    "detect INTEGER NOT NULL DEFAULT 0, set_by TEXT, set_at REAL)",
    "CREATE TABLE IF NOT EXISTS preview_mutes (user_id TEXT PRIMARY KEY, muted_at REAL)",
    "CREATE TABLE IF NOT EXISTS detect_declines (user_id TEXT NOT NULL, channel_id TEXT NOT "
    "NULL, declined_at REAL, PRIMARY KEY (user_id, channel_id))",
)


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
        for statement in _TABLES:
            store.write(statement)

    # --- channels (admins) --------------------------------------------------------------

    def channel(self, channel_id: str | None) -> ChannelChoice:
        rows = (
            self.store.db()
            .execute(
                "SELECT level, detect, set_by, set_at FROM preview_channels WHERE channel_id = ?",
                [channel_id or ""],
            )
            .fetchall()
        )
        if not rows:
            return ChannelChoice(channel_id or "", None, False, None, None)
        level, detect, set_by, set_at = rows[0]
        return ChannelChoice(
            channel_id or "", parse_level(level or ""), bool(detect), set_by, set_at
        )

    def set_level(self, channel_id: str, level: Level, user_id: str) -> None:
        self.store.write(
            "INSERT INTO preview_channels (channel_id, level, detect, set_by, set_at) "
            "VALUES (?, ?, 0, ?, ?) ON CONFLICT (channel_id) DO UPDATE SET "
            "level = excluded.level, set_by = excluded.set_by, set_at = excluded.set_at",
            [channel_id, level.value, user_id, self.clock()],
        )

    def set_detect(self, channel_id: str, on: bool, user_id: str) -> bool:
        """Turn detection on or off; returns whether it was on before."""
        before = self.channel(channel_id).detect
        self.store.write(
            "INSERT INTO preview_channels (channel_id, level, detect, set_by, set_at) "
            "VALUES (?, NULL, ?, ?, ?) ON CONFLICT (channel_id) DO UPDATE SET "
            "detect = excluded.detect, set_by = excluded.set_by, set_at = excluded.set_at",
            [channel_id, 1 if on else 0, user_id, self.clock()],
        )
        return before

    def detecting(self) -> list[str]:
        """The channels where detection is on (for the admin form)."""
        rows = self.store.db().execute(
            "SELECT channel_id FROM preview_channels WHERE detect = 1 ORDER BY channel_id"
        )
        return [r[0] for r in rows.fetchall()]

    # --- people -------------------------------------------------------------------------

    def muted(self, user_id: str | None) -> bool:
        rows = self.store.db().execute(
            "SELECT 1 FROM preview_mutes WHERE user_id = ?", [user_id or ""]
        )
        return bool(rows.fetchall())

    def mute(self, user_id: str, muted: bool) -> bool:
        """Mute or unmute previews of the links this person posts; returns the old state."""
        before = self.muted(user_id)
        if muted:
            self.store.write(
                "INSERT INTO preview_mutes (user_id, muted_at) VALUES (?, ?) "
                "ON CONFLICT (user_id) DO NOTHING",
                [user_id, self.clock()],
            )
        else:
            self.store.write("DELETE FROM preview_mutes WHERE user_id = ?", [user_id])
        return before

    def declined(self, user_id: str, channel_id: str) -> bool:
        rows = self.store.db().execute(
            "SELECT 1 FROM detect_declines WHERE user_id = ? AND channel_id = ?",
            [user_id, channel_id],
        )
        return bool(rows.fetchall())

    def decline(self, user_id: str, channel_id: str) -> None:
        """ "Not in this channel": no more detection offers to this person here."""
        self.store.write(
            "INSERT INTO detect_declines (user_id, channel_id, declined_at) VALUES (?, ?, ?) "
            "ON CONFLICT (user_id, channel_id) DO NOTHING",
            [user_id, channel_id, self.clock()],
        )
