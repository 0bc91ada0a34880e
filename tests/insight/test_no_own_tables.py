"""Insight's tables (credit_readings, digest_sends, person_prefs) come only from the
schema's migrations, as the house rule says: no module of bot/insight creates a table or
an index of its own, and they all work on a freshly migrated database."""

from __future__ import annotations

import re
from pathlib import Path

from bot.insight.digest_sends import DigestSends
from bot.insight.history import CreditHistory
from bot.insight.preferences import Preferences
from bot.store.database import Store

INSIGHT = Path(__file__).resolve().parents[2] / "bot" / "insight"


def test_no_insight_module_creates_its_own_tables():
    makers = [
        p.name
        for p in INSIGHT.glob("*.py")
        if re.search(r"CREATE\s+(TABLE|INDEX|UNIQUE)", p.read_text(), re.IGNORECASE)
    ]
    assert makers == []


def test_the_migrated_tables_are_enough(database_target):
    store = Store(database_target)
    assert CreditHistory(store, lambda: 1.0).readings() == []
    assert DigestSends(store, lambda: 1.0).claim("C1", "2026-W49")
    assert Preferences(store, lambda: 1.0).set_digest("U1", False)
