"""Each person's own choices about what the bot sends them: the weekly digest (admins) and
the DMs about their batches. Both are on until the person turns them off.

One row per (person, choice); the SQL runs on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from bot.store.database import Store

DIGEST = "weekly_digest"
BATCH_DMS = "batch_dms"


class Preferences:
    def __init__(self, store: Store, clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.clock = clock

    def get(self, user_id: str, name: str, default: bool = True) -> bool:
        value = self.store.sql.scalar(
            "SELECT value FROM person_prefs WHERE user_id = :user_id AND name = :name",
            {"user_id": user_id, "name": name},
        )
        return default if value is None else bool(value)

    def set(self, user_id: str, name: str, on: bool) -> bool:
        """Store the choice; False when it was already so."""
        if self.get(user_id, name) == on:
            return False
        self.store.sql.upsert(
            "person_prefs",
            {"user_id": user_id, "name": name, "value": int(on), "changed_at": self.clock()},
            key=("user_id", "name"),
        )
        return True

    def off(self, name: str) -> set[str]:
        """Everyone who turned `name` off."""
        rows = self.store.sql.query(
            "SELECT user_id FROM person_prefs WHERE name = :name AND value = 0", {"name": name}
        )
        return {r["user_id"] for r in rows}

    def wants_digest(self, user_id: str) -> bool:
        return self.get(user_id, DIGEST)

    def set_digest(self, user_id: str, on: bool) -> bool:
        return self.set(user_id, DIGEST, on)

    def wants_batch_dms(self, user_id: str) -> bool:
        return self.get(user_id, BATCH_DMS)

    def set_batch_dms(self, user_id: str, on: bool) -> bool:
        return self.set(user_id, BATCH_DMS, on)
