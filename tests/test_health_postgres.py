"""/healthz and /readyz on PostgreSQL: the server unreachable, read-only (a standby) or this
process's pool exhausted, one line each, never the URL's host or password; healthy again
when it passes. Against the real server; nothing sleeps."""

from __future__ import annotations

import logging
import threading
import time

import httpx
import pytest

from bot.health import Health, probe_for
from bot.playground.rigs.bot_process import BotProcess
from bot.playground.simulators.bitscale import Simulator
from bot.playground.slack.standin import SlackStandIn
from bot.readiness import Readiness
from bot.store.database import Store
from bot.store.postgres_probe import PostgresProbe
from bot.web import health_app
from tests.factories import Clock

PASSWORD = "hunter2-not-for-logs"


def get(app, path="/healthz") -> tuple[str, str]:
    seen = {}
    body = app({"PATH_INFO": path, "REQUEST_METHOD": "GET"}, lambda s, h: seen.update(s=s))
    return seen["s"], b"".join(body).decode().strip()


@pytest.fixture
def store(postgres_url):
    store = Store(postgres_url, pool_size=1)
    yield store
    store.close()


def test_a_healthy_postgresql_says_ok(store):
    health = Health(probe_for(store), clock=Clock())
    assert get(health_app(health)) == ("200 OK", "ok")


def test_a_server_that_does_not_answer_is_one_line_without_host_or_password(caplog, postgres_url):
    # Nothing listens on port 1: a stopped server, as the bot sees it.
    health = Health(PostgresProbe(f"postgresql://root:{PASSWORD}@127.0.0.1:1/test"), clock=Clock())
    with caplog.at_level(logging.WARNING, logger="bot.health"):
        status, text = get(health_app(health))
    assert status == "503 Service Unavailable"
    assert text == (
        "database unreachable (Connection refused): work waits until PostgreSQL answers; "
        "check the server and DATABASE_URL"
    )
    # The log says where, without the password.
    assert "DATABASE_URL=postgresql://root:***@127.0.0.1:1/test" in caplog.text
    assert PASSWORD not in caplog.text


def test_a_read_only_database_is_one_line(store, postgres_url):
    # A session that may not write, as on a standby (or a role made read-only).
    read_only = f"{postgres_url}%20-cdefault_transaction_read_only%3Don"
    health = Health(PostgresProbe(read_only), clock=Clock())
    assert get(health_app(health)) == (
        "503 Service Unavailable",
        "database is read-only (a standby?): PostgreSQL refuses writes; point DATABASE_URL "
        "at the primary",
    )


def test_an_exhausted_pool_is_one_line_with_its_numbers(store):
    pool = store.sql.engine.pool_of_connections
    health = Health(probe_for(store), clock=Clock())
    ready = Readiness()
    ready.add("database", health.database_problem)
    held = pool.getconn()  # the pool's only connection, lent out
    try:
        assert health() == (True, "ok")  # every connection busy, nobody waiting: busy only
        waiter = threading.Thread(target=lambda: pool.putconn(pool.getconn(timeout=20)))
        waiter.start()
        deadline = time.monotonic() + 10
        while pool.get_stats()["requests_waiting"] == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        line = (
            "database connection pool exhausted (1 of 1 in use, 1 waiting): raise "
            "DATABASE_POOL_SIZE, or look in the log for work holding them"
        )
        assert health() == (False, line)
        assert ready() == (False, line)
    finally:
        pool.putconn(held)
    waiter.join(20)
    assert health() == (True, "ok")
    assert ready() == (True, "ready")


def test_a_bot_process_on_postgresql_is_healthy_and_ready(tmp_path, postgres_url):
    slack, sim = SlackStandIn().start(), Simulator("pg-key").start()
    bot = BotProcess(
        slack_api_url=slack.api_url,
        bitscale_url=sim.url,
        bitscale_key=sim.api_key,
        db_path=tmp_path / "unused.db",  # DATABASE_URL wins; no file is made
        extra_env={"DATABASE_URL": postgres_url},
    )
    try:
        bot.start()
        base = f"http://127.0.0.1:{bot.port}"
        assert httpx.get(f"{base}/healthz", timeout=10).text == "ok\n"
        assert "database" not in httpx.get(f"{base}/readyz", timeout=10).text
        assert not (tmp_path / "unused.db").exists()
        assert bot.terminate() == 0
    finally:
        bot.kill()
        sim.stop()
        slack.stop()
