"""A run joined to an identical one in flight spent nothing: budgets and usage say so."""

from __future__ import annotations

from bot.governance.usage import Usage
from bot.store.database import Store
from tests.factories import make_run

NOW = 1_800_000_000.0


def test_a_joined_run_is_not_spent_but_counted_as_answered_for_free(database_target):
    store = Store(database_target)
    store.insert_run(make_run(id="lead", user_id="U1", created_at=NOW - 60))
    store.insert_run(make_run(id="joined", user_id="U2", joined_to="lead", created_at=NOW - 30))
    usage = Usage(store, clock=lambda: NOW)
    assert usage.rows_today() == 1 and usage.rows_today("U2") == 0
    month = usage.month()
    assert month.total.rows == 1 and month.total.reused == 1
    assert month.by_person["U2"].reused == 1 and month.by_person["U2"].rows == 0
    store.close()
