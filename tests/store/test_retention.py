"""Old runs and caches are forgotten; nothing anyone may still need is."""

from __future__ import annotations

from bot.store.database import Store
from bot.store.retention import DAY, MIN_DAYS, Retention
from tests.factories import make_run

NOW = 1_800_000_000.0


def store_with_runs(target) -> Store:
    store = Store(target)
    for batch_id, state in (("ended", "done"), ("going", "running")):
        store.sql.insert(
            "batches", {"id": batch_id, "grid_id": "g1", "user_id": "U", "state": state}
        )
    old, young = NOW - 200 * DAY, NOW - 10 * DAY
    runs = [
        make_run(id="old-done", created_at=old, finished_at=old),
        make_run(id="old-failed", state="failed", created_at=old, finished_at=old),
        make_run(id="old-running", state="running", created_at=old),  # never final
        make_run(id="old-submitting", state="submitting", created_at=old),
        make_run(id="young-done", created_at=young, finished_at=young),
        make_run(id="old-in-ended-batch", batch_id="ended", created_at=old, finished_at=old),
        make_run(id="old-in-running-batch", batch_id="going", created_at=old, finished_at=old),
        make_run(
            id="old-long-reuse",
            grid_id="g2",
            grid_name="Job Changes",
            created_at=old,
            finished_at=old,
        ),
        make_run(
            id="old-owed",
            created_at=old,
            finished_at=old,
            notify_next_at=NOW + 60,
        ),
    ]
    for run in runs:
        store.insert_run(run)
    store.cache_put("grids:all", [], NOW - 3 * DAY)
    store.cache_put("form:g1", {}, NOW - 60)
    return store


def ids(store: Store) -> set[str]:
    return {r.id for r in store.all_runs()}


def test_prunes_final_old_runs_and_keeps_the_rest(database_target):
    store = store_with_runs(database_target)
    windows = {"g2": 365.0}
    retention = Retention(
        store, days=90, window_days=lambda grid, name: windows.get(grid, 30.0), clock=lambda: NOW
    )
    pruned = retention.prune()
    assert ids(store) == {
        "old-running",
        "old-submitting",
        "young-done",
        "old-in-running-batch",
        "old-long-reuse",  # its grid's results are reused for a year
        "old-owed",  # its result is still to be posted
    }
    assert (pruned.runs, pruned.cache) == (3, 1)
    assert store.cache_get("form:g1", 3600, NOW) == {}
    assert retention.prune().runs == 0  # nothing more


def test_never_keeps_less_than_a_month_nor_less_than_the_reuse_window(database_target):
    store = Store(database_target)
    for days in (MIN_DAYS - 1, 45):
        at = NOW - days * DAY
        store.insert_run(make_run(id=f"r{days}", created_at=at, finished_at=at))
    Retention(store, days=1, window_days=lambda g, n: 0.0, clock=lambda: NOW).prune()
    assert ids(store) == {f"r{MIN_DAYS - 1}"}  # no batches table: single runs still pruned
    Retention(store, days=1, window_days=lambda g, n: 60.0, clock=lambda: NOW).prune()
    assert ids(store) == {f"r{MIN_DAYS - 1}"}


def test_zero_days_keeps_runs_for_ever(database_target):
    store = store_with_runs(database_target)
    before = ids(store)
    Retention(store, days=0, clock=lambda: NOW).prune()
    assert ids(store) == before


def test_prunes_in_chunks(database_target, monkeypatch):
    import bot.store.retention

    monkeypatch.setattr(bot.store.retention, "CHUNK", 7)
    store = Store(database_target)
    old = NOW - 400 * DAY
    for i in range(30):
        store.insert_run(make_run(id=f"r{i}", created_at=old, finished_at=old))
    assert Retention(store, days=90, clock=lambda: NOW).prune().runs == 30
    assert ids(store) == set()
