"""The Store behaves the same on SQLite and PostgreSQL: runs, claims, and the small tables."""

from __future__ import annotations

import threading

import pytest

from bot.store.database import Store
from bot.store.sql import StoreClosed
from tests.factories import make_run


def test_runs_are_stored_found_and_updated(database_target):
    store = Store(database_target)
    run = make_run(id="abcdef123456", state="queued", dedupe_key="view:1", quiet=True)
    assert store.insert_run(run)[1] is True
    assert store.insert_run(make_run(id="other", dedupe_key="view:1"))[1] is False
    store.update_run(run.id, state="running", request_id="REQ-1", outputs={"email": "a@b.c"})
    found = store.find_run("ABCDEF")
    assert found is not None and found.id == run.id and found.outputs == {"email": "a@b.c"}
    assert store.find_run("req-1").id == run.id
    assert store.count_runs("state = :state", {"state": "running"}) == 1
    assert [r.id for r in store.recent_runs(run.user_id)] == [run.id]
    store.close()


def test_four_workers_in_two_processes_take_every_run_exactly_once(database_target):
    store, other = Store(database_target), Store(database_target)  # two processes' stores
    for n in range(200):
        store.insert_run(make_run(id=f"run{n:04d}", state="queued", created_at=float(n)))
    taken: list[str] = []
    lock = threading.Lock()

    def work(store: Store) -> None:
        while True:
            runs = store.claim("state = :state", {"state": "queued"}, now=100.0, lease=600, limit=7)
            if not runs:
                return
            for run in runs:
                store.update_run(run.id, state="running")
            with lock:
                taken.extend(r.id for r in runs)

    workers = [threading.Thread(target=work, args=(s,)) for s in (store, other, store, other)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert sorted(taken) == [f"run{n:04d}" for n in range(200)]
    store.close()
    other.close()


def race(target: str, attempt, processes: int = 2, threads: int = 4) -> list:
    """`attempt(store)` from `threads` threads over `processes` stores at once."""
    stores = [Store(target) for _ in range(processes)]
    results: list = []
    start = threading.Barrier(threads)

    def go(store: Store) -> None:
        start.wait()
        results.append(attempt(store))

    workers = [threading.Thread(target=go, args=(stores[n % processes],)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    for store in stores:
        store.close()
    return results


def test_a_credit_alert_crossing_is_claimed_by_one_process(database_target):
    first = race(database_target, lambda s: s.move_alert_state("credits", None, "alerted"))
    assert first.count(True) == 1
    again = race(database_target, lambda s: s.move_alert_state("credits", "armed", "alerted"))
    assert again.count(True) == 0  # still alerted: nobody sends twice
    Store(database_target).set_alert_state("credits", "armed")
    rearmed = race(database_target, lambda s: s.move_alert_state("credits", "armed", "alerted"))
    assert rearmed.count(True) == 1


def test_one_process_wins_the_leadership(database_target):
    from bot.store.leases import LeaderLease

    won = race(
        database_target, lambda s: LeaderLease(s, f"p{id(s)}-{threading.get_ident()}").renew()
    )
    assert won.count(True) == 1


def test_one_process_submits_a_queued_run(database_target):
    store = Store(database_target)
    store.insert_run(make_run(id="run1", state="queued"))
    store.close()

    def take(s: Store) -> bool:
        rows = s.sql.write(
            "UPDATE runs SET state = 'submitting', owner = :me WHERE id = 'run1' "
            "AND state = 'queued' RETURNING id",
            {"me": str(threading.get_ident())},
        )
        return bool(rows)

    assert race(database_target, take).count(True) == 1


def test_cache_alerts_sessions_and_events(database_target):
    store = Store(database_target)
    store.cache_put("grids", [1, 2], now=1000.0)
    assert store.cache_get("grids", max_age=60, now=1030.0) == [1, 2]
    assert store.cache_get("grids", max_age=60, now=1100.0) is None
    store.set_alert_state("credits", "low")
    store.set_alert_state("credits", "ok")
    assert store.alert_state("credits") == "ok"
    token = store.save_session({"grid": "g1"})
    assert store.load_session(token) == {"grid": "g1"}
    assert store.remember_event("Ev1") is True
    assert store.remember_event("Ev1") is False
    store.close()


def test_one_statement_for_many_rows_commits_with_its_transaction(database_target):
    store = Store(database_target)
    rows = [{"key": f"k{n}", "value": "1"} for n in range(500)]
    store.sql.run_many("INSERT INTO cache (key, value, stored_at) VALUES (:key, :value, 0)", rows)
    try:
        with store.sql.transaction() as tx:
            tx.run_many("UPDATE cache SET value = '2' WHERE key = :key", rows[:10])
            raise RuntimeError("something after the update failed")
    except RuntimeError:
        pass
    assert store.sql.scalar("SELECT COUNT(*) AS n FROM cache WHERE value = '1'") == 500
    store.close()


def test_a_closed_postgresql_store_says_so_at_once_not_that_the_database_is_away(postgres_url):
    # DatabaseUnavailable would keep a worker with an answer in hand retrying for the
    # run's whole expiry (bot/runs/saving.py), and hold its process open that long.
    store = Store(postgres_url)
    store.close()
    with pytest.raises(StoreClosed):
        store.count_runs("state = :state", {"state": "queued"})
