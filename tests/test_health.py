"""GET /healthz: 200 "ok", or 503 with one line saying what is wrong with the database or
the scheduler. Clocks are injected; nothing sleeps."""

from __future__ import annotations

import os
import sqlite3
import time

import pytest
from apscheduler.events import EVENT_JOB_EXECUTED
from apscheduler.schedulers.background import BackgroundScheduler

from bot.health import Health
from bot.store.database import Store
from bot.web import health_app
from tests.factories import Clock


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "bot.db"
    Store(path)
    return str(path)


@pytest.fixture
def clock():
    return Clock()


def get(app, path="/healthz") -> tuple[str, str]:
    seen = {}
    body = app({"PATH_INFO": path, "REQUEST_METHOD": "GET"}, lambda s, h: seen.update(s=s))
    return seen["s"], b"".join(body).decode().strip()


def test_a_healthy_bot_says_ok(db, clock):
    health = Health(db, tick_seconds=1, clock=clock)
    assert get(health_app(health)) == ("200 OK", "ok")
    clock.now += 9  # a busy host may hold a tick back a few seconds
    assert health() == (True, "ok")


def test_a_deleted_database_is_503(db, clock):
    health = Health(db, tick_seconds=1, clock=clock)
    os.remove(db)
    assert get(health_app(health)) == (
        "503 Service Unavailable",
        "database file is gone (DATABASE_PATH); restore it and restart the bot",
    )


def test_a_replaced_database_is_noticed_by_its_inode(db, clock, tmp_path):
    health = Health(db, tick_seconds=1, clock=clock)
    restored = tmp_path / "restored.db"
    Store(restored)
    os.replace(restored, db)  # a restore from a backup, under the running bot
    healthy, why = health()
    assert not healthy
    assert why == (
        "database file was replaced after start-up; the bot still writes the old file: "
        "restart it to use the new one"
    )


def test_a_read_only_database_is_503(db, clock):
    health = Health(db, tick_seconds=1, clock=clock)
    os.chmod(db, 0o444)
    assert health() == (
        False,
        "database file is read-only; make it writable (chmod u+w) and restart",
    )
    os.chmod(db, 0o600)
    assert health() == (True, "ok")


def test_a_database_that_cannot_be_written_is_503(db, clock):
    health = Health(db, tick_seconds=1, clock=clock)
    Store(db).sql.scalar("PRAGMA wal_checkpoint(TRUNCATE)")  # every page in the file
    with open(db, "r+b") as f:  # the same file (same inode), overwritten with junk
        f.write(b"not a database at all" * 300)
    healthy, why = health()
    assert not healthy and why.startswith("database file cannot be written (")


def test_a_busy_database_still_counts_as_writable(db, clock):
    health = Health(db, tick_seconds=1, clock=clock, busy_timeout=0.1)
    Store(db).close()
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")  # another writer holds the lock
    try:
        started = time.monotonic()
        assert health() == (True, "ok")
        assert time.monotonic() - started < 10  # waited its short busy timeout, no more
    finally:
        conn.rollback()


def test_the_probe_does_not_grow_the_database(db, clock):
    health = Health(db, tick_seconds=1, clock=clock)
    for _ in range(20):
        assert health()[0]
    rows = sqlite3.connect(db).execute("SELECT count(*) FROM health_probe").fetchone()[0]
    assert rows == 1


def test_a_stalled_scheduler_is_503_after_a_few_ticks(db, clock):
    health = Health(db, tick_seconds=1, clock=clock)
    clock.now += 11
    assert health() == (
        False,
        "scheduler stalled: no run tick for 11s (due every 1s); runs are not being sent "
        "or polled: restart the bot",
    )
    health.ticked()
    assert health() == (True, "ok")


def test_a_slow_tick_interval_allows_a_few_intervals(db, clock):
    health = Health(db, tick_seconds=5, clock=clock)
    clock.now += 24
    assert health()[0]
    clock.now += 2
    assert not health()[0]


def test_the_run_ticks_of_a_real_scheduler_keep_it_healthy(db):
    health = Health(db, tick_seconds=1)
    before = health._last_tick
    scheduler = BackgroundScheduler()
    scheduler.add_listener(health.on_job_event, EVENT_JOB_EXECUTED)
    scheduler.add_job(lambda: None, "interval", seconds=60, id="other", next_run_time=None)
    scheduler.add_job(lambda: None, "date", id="runs")
    scheduler.start()
    try:
        deadline = time.monotonic() + 30
        while health._last_tick == before and time.monotonic() < deadline:
            time.sleep(0.01)
        assert health._last_tick > before
    finally:
        scheduler.shutdown(wait=False)


def test_socket_mode_serves_only_healthz():
    assert get(health_app(), "/slack/events") == (
        "404 Not Found",
        "not found: in Socket Mode only GET /healthz and /readyz are here",
    )
    assert get(health_app(lambda: (False, "database x is gone"))) == (
        "503 Service Unavailable",
        "database x is gone",
    )
