"""Which weekly digests were sent: one row per (reader, week), claimed before the digest is
sent, so two bot processes or a restart on Monday morning never send the same week twice.

A claim whose sending failed is given back (the next check tries again); a process that
dies between claiming and sending loses that one week's digest rather than risk sending
it twice. The SQL is portable (SQLite and PostgreSQL).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from bot.store.database import Store


class DigestSends:
    def __init__(self, store: Store, clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.clock = clock

    def claim(self, reader: str, week: str) -> bool:
        """True for the one caller that may send `reader` the digest of `week`."""
        return self.store.sql.insert(
            "digest_sends",
            {"reader": reader, "week": week, "claimed_at": self.clock()},
            ignore_conflict=True,
        )

    def sent(self, reader: str, week: str) -> None:
        self.store.sql.run(
            "UPDATE digest_sends SET sent_at = :now WHERE reader = :reader AND week = :week",
            {"reader": reader, "week": week, "now": self.clock()},
        )

    def give_back(self, reader: str, week: str) -> None:
        self.store.sql.run(
            "DELETE FROM digest_sends WHERE reader = :reader AND week = :week AND sent_at IS NULL",
            {"reader": reader, "week": week},
        )

    def was_sent(self, reader: str, week: str) -> bool:
        row = self.store.sql.one(
            "SELECT 1 AS found FROM digest_sends WHERE reader = :reader AND week = :week",
            {"reader": reader, "week": week},
        )
        return row is not None

    def knows(self, reader: str) -> bool:
        """Whether any week was ever claimed for `reader` (False for a new admin)."""
        row = self.store.sql.one(
            "SELECT 1 AS found FROM digest_sends WHERE reader = :reader LIMIT 1", {"reader": reader}
        )
        return row is not None

    def skip(self, reader: str, week: str) -> None:
        """Mark a week as not owed (it passed before the bot knew the reader)."""
        if self.claim(reader, week):
            self.sent(reader, week)
