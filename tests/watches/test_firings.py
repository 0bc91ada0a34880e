"""Firings are rows keyed by (watch, scheduled time): never twice, whoever inserts them,
and slots missed while the bot was down are caught up by one late firing."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.store.database import Store
from bot.watches.digest import Digest, late_words
from bot.watches.firings import Firings
from bot.watches.schedule import Schedule
from bot.watches.store import Watch, WatchStore

TZ = "Europe/Berlin"
MONDAY_NINE = Schedule("weekly", "09:00", TZ, weekday=0)


def at(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(TZ)).timestamp()


class Batches:
    files_dir = "."


def make(tmp_path, now: float, schedule: Schedule = MONDAY_NINE):
    store = WatchStore(Store(tmp_path / "bot.db"))
    watch = Watch(id="w1", owner="U0ANA", grid_id="g", grid_name="Company Enrichment",
                  input_keys=["company_name"], outputs=[{"id": "x", "name": "X"}],
                  schedule=schedule, state="active", created_at=now, dedupe_key="form",
                  rows=1, next_at=schedule.next_after(now))
    store.insert(watch, [("k", {"company_name": "Acme"})])
    return store


def firings(store: WatchStore, clock) -> Firings:
    return Firings(store, Batches(), None, policy=None, audit=None,  # type: ignore[arg-type]
                   credits_left=lambda: None, me="p1", clock=clock)


def test_a_due_watch_gets_one_firing_however_many_schedulers_wake(tmp_path):
    store = make(tmp_path, at("2026-03-25T12:00"))
    now = at("2026-03-30T09:00:01")
    # four "processes", each with its own connection, waking at the same second
    workers = [firings(WatchStore(Store(tmp_path / "bot.db")), lambda: now) for _ in range(4)]
    barrier = threading.Barrier(4)

    def wake(f: Firings) -> int:
        barrier.wait()
        return len(f.schedule_due())

    with ThreadPoolExecutor(4) as pool:
        made = list(pool.map(wake, workers))
    assert sum(made) == 1
    (firing,) = store.firings_of("w1")
    assert firing.scheduled_at == at("2026-03-30T09:00") and firing.missed == 0
    assert store.get("w1").next_at == at("2026-04-06T09:00")
    assert firings(store, lambda: now + 5).schedule_due() == []  # a later tick: nothing new


def test_the_same_key_inserted_twice_is_a_no_op(tmp_path):
    store = make(tmp_path, at("2026-03-25T12:00"))
    first = store.add_firing("w1", 100.0, kind="scheduled", missed=0, now=1.0)
    assert first is not None
    assert store.add_firing("w1", 100.0, kind="scheduled", missed=0, now=2.0) is None
    assert len(store.firings_of("w1")) == 1


def test_missed_slots_are_caught_up_by_one_late_firing(tmp_path):
    store = make(tmp_path, at("2026-03-01T12:00"))  # next: Monday 2 March
    now = at("2026-03-25T15:30")  # the bot was down for three Mondays and more
    (firing,) = firings(store, lambda: now).schedule_due()
    assert firing.scheduled_at == at("2026-03-23T09:00")  # the latest slot only
    assert firing.missed == 3  # 2, 9 and 16 March
    assert store.get("w1").next_at == at("2026-03-30T09:00")  # across the DST change
    firing.started_at = now
    words = late_words(firing, Digest(1, "accounts", late_by=now - firing.scheduled_at,
                                      missed=3), TZ)
    assert words == ("Late: due Mon 23 Mar 09:00, started Wed 25 Mar 15:30; 3 earlier "
                     "firings missed while the bot was down, caught up by this one.")


def test_a_firing_a_few_seconds_late_is_not_called_late(tmp_path):
    store = make(tmp_path, at("2026-03-25T12:00"))
    firing = store.add_firing("w1", 100.0, kind="scheduled", missed=0, now=100.0)
    firing.started_at = 130.0
    assert late_words(firing, Digest(1, "rows", late_by=30.0), TZ) is None


def test_a_paused_watch_is_not_due(tmp_path):
    store = make(tmp_path, at("2026-03-25T12:00"))
    store.move("w1", ("active",), state="paused")
    assert firings(store, lambda: at("2026-04-20T10:00")).schedule_due() == []


def test_settling_a_firing_writes_the_digest_and_the_baseline_together(tmp_path):
    store = make(tmp_path, at("2026-03-25T12:00"))
    firing = store.add_firing("w1", 100.0, kind="scheduled", missed=0, now=1.0)
    store.set_firing(firing.id, state="running")
    assert store.settle(firing.id, {"total": 1}, "csv", [("k", {"x": 5}, "ok", None)], "w1", 2)
    assert store.rows("w1")[0].known == {"x": 5}
    # settled once: a second settle (a stale lease) changes nothing
    assert not store.settle(firing.id, {"total": 9}, "csv", [("k", {"x": 6}, "ok", None)],
                            "w1", 3)
    assert store.rows("w1")[0].known == {"x": 5}
    assert store.firing(firing.id).digest == {"total": 1}


def test_kept_rows_keep_their_baseline_when_the_rows_are_set_again(tmp_path):
    store = make(tmp_path, at("2026-03-25T12:00"))
    store.store.sql.run("UPDATE watch_rows SET known = '{\"x\": 1}' WHERE row_key = 'k'")
    store.put_rows("w1", [("k", {"company_name": "Acme"}), ("n", {"company_name": "New"})])
    rows = {r.key: r.known for r in store.rows("w1")}
    assert rows == {"k": {"x": 1}, "n": None}
