"""The Home tab's reads on both backends: who uses the tab, and an admin's today counts."""

from __future__ import annotations

from types import SimpleNamespace

from bot.slack.home import HomePublisher, admin_home
from bot.store.database import Store
from tests.factories import make_run

NOW = 1_700_050_000.0  # the UTC day began at 1_699_920_000


def test_viewers_with_work_in_progress_and_todays_counts(database_target):
    store = Store(database_target)
    services = SimpleNamespace(store=store, batches=None)
    home = HomePublisher(client=None, services=services)
    store.insert_run(make_run(id="r1", user_id="U0ANA", state="running", created_at=NOW))
    store.insert_run(make_run(id="r2", user_id="U0BOB", state="failed", created_at=NOW))
    store.insert_run(make_run(id="r3", user_id="U0BOB", state="reused", created_at=NOW))
    store.insert_run(make_run(id="r4", user_id="U0CAT", state="failed", created_at=NOW - 86400))
    home.opened("U0ANA")
    home.opened("U0ANA")  # opening it again is no second viewer
    home.opened("U0CAT")
    assert home.busy_viewers() == ["U0ANA"]
    admin = admin_home(services, NOW)
    assert (admin.runs_today, admin.rows_today, admin.failed_today) == (3, 2, 1)
    assert admin.people_today == 2
    store.close()
