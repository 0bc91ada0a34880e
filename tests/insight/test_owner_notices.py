"""Issue 26, notices go to the owner: each batch notice is claimed once per person, on
SQLite and PostgreSQL, even by two processes; a person who turned them off gets none; a
notice never makes the person count as a known digest reader."""

from __future__ import annotations

from bot.insight.digest_sends import DigestSends
from bot.insight.owner_notices import OwnerNotices
from bot.insight.preferences import Preferences
from bot.store.database import Store


def test_each_notice_is_claimed_once_and_only_for_people_who_want_them(database_target):
    first, second = Store(database_target), Store(database_target)  # two processes
    ana = OwnerNotices(first, Preferences(first, lambda: 1.0), lambda: 1.0)
    other = OwnerNotices(second, Preferences(second, lambda: 1.0), lambda: 1.0)
    assert ana.claim("U0ANA", "batch b1 finished")
    assert not other.claim("U0ANA", "batch b1 finished")
    ana.sent("U0ANA", "batch b1 finished")
    assert other.claim("U0ANA", "batch b1 paused")  # another notice of the same batch
    other.give_back("U0ANA", "batch b1 paused")  # its DM failed: may be sent again
    assert ana.claim("U0ANA", "batch b1 paused")
    assert not DigestSends(first).knows("U0ANA")  # still owed no missed digest

    assert Preferences(second).set_batch_dms("U0BO", False)
    assert not ana.claim("U0BO", "batch b2 finished")
    assert not ana.claim("", "batch b3 finished")
