"""The DMs a person gets about their own batches (finished, paused, waiting for approval):
each sent once, even across restarts and several bot processes, and only to people who
have not turned them off (preferences.py).

A notice is claimed before it is sent, in the weekly digest's table of sends under the
reader `notice:<person>` (so a notice never counts as a digest the person was sent); a
claim whose sending failed is given back. The SQL is portable (SQLite and PostgreSQL).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from bot.insight.digest_sends import DigestSends
from bot.insight.preferences import Preferences
from bot.store.database import Store


class OwnerNotices:
    def __init__(
        self, store: Store, prefs: Preferences, clock: Callable[[], float] = time.time
    ) -> None:
        self.sends = DigestSends(store, clock)
        self.prefs = prefs

    @staticmethod
    def _reader(user_id: str) -> str:
        return f"notice:{user_id}"

    def claim(self, user_id: str, what: str) -> bool:
        """True for the one caller that may tell `user_id` about `what` (say
        'batch 123 finished'); False when they turned these DMs off or were told."""
        if not user_id or not self.prefs.wants_batch_dms(user_id):
            return False
        return self.sends.claim(self._reader(user_id), what)

    def sent(self, user_id: str, what: str) -> None:
        self.sends.sent(self._reader(user_id), what)

    def give_back(self, user_id: str, what: str) -> None:
        self.sends.give_back(self._reader(user_id), what)
