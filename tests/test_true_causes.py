"""Failures are reported with their true cause: a read-only database is a permissions
problem (not damage to restore from a backup); a key with a line break is the key (not
"could not reach BitScale")."""

from __future__ import annotations

import logging
import os
import sqlite3
import stat

import pytest
import respx

import bot.store.opening
from bot.providers.bitscale.client import BitScaleClient
from bot.providers.bitscale.errors import BitScaleError, explain
from bot.providers.bittlebits.client import BittlebitsClient
from bot.providers.bittlebits.errors import BittlebitsError
from bot.providers.bittlebits.errors import explain as explain_bb
from bot.providers.limiter import RateLimiter
from bot.store.database import Store, StoreError
from bot.store.instance_lock import InstanceLock

BASE = "https://api.test/api/v1"


def test_a_new_database_is_readable_by_its_owner_only(tmp_path):
    Store(tmp_path / "bot.db")
    for name in ("bot.db", "bot.db-wal", "bot.db-shm"):
        assert stat.S_IMODE(os.stat(tmp_path / name).st_mode) == 0o600, name


def test_a_database_file_the_bot_may_not_write_says_so(tmp_path, monkeypatch):
    path = tmp_path / "bot.db"
    Store(path)

    def refused(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    # what a 0444 file gives a non-root bot
    monkeypatch.setattr(bot.store.opening.os, "open", refused)
    with pytest.raises(StoreError) as caught:
        Store(path)
    text = str(caught.value)
    assert "read-only" in text and "permissions" in text and "Permission denied" in text
    assert "backup" not in text and "cannot be read" not in text


def test_a_database_sqlite_may_only_read_says_so(tmp_path, monkeypatch):
    path = tmp_path / "bot.db"
    Store(path).close()
    real = sqlite3.connect

    def read_only(target, **kwargs):  # SQLite's own SQLITE_READONLY, as on a read-only disk
        return real(f"file:{target}?mode=ro", uri=True, **kwargs)

    monkeypatch.setattr(sqlite3.dbapi2, "connect", read_only)  # what SQLAlchemy calls
    with pytest.raises(StoreError) as caught:
        Store(path)
    text = str(caught.value)
    assert "read-only" in text and "permissions" in text and "backup" not in text


def test_a_damaged_database_still_says_restore_it(tmp_path):
    path = tmp_path / "bad.db"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="Restore it from a backup"):
        Store(path)


def test_a_lock_file_the_bot_may_not_create_says_read_only(tmp_path, monkeypatch):
    def refused(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("bot.store.instance_lock.os.open", refused)
    with pytest.raises(StoreError, match="read-only"):
        InstanceLock(str(tmp_path / "bot.db")).acquire()


@respx.mock
def test_a_bitscale_key_with_a_trailing_line_break_is_trimmed_with_a_warning(caplog):
    route = respx.get(f"{BASE}/grids").respond(
        200, json={"grids": [], "total": 0, "page": 1, "limit": 20, "total_pages": 0}
    )
    with caplog.at_level(logging.WARNING):
        client = BitScaleClient("secret-key-123\n", BASE, limiter=RateLimiter(rate=1000))
    client.list_grids()
    assert route.calls.last.request.headers["X-API-KEY"] == "secret-key-123"
    assert "BITSCALE_API_KEY has spaces or a line break" in caplog.text
    assert "secret-key-123" not in caplog.text
    client.use_key("rotated-key \r\n")
    client.list_grids()
    assert route.calls.last.request.headers["X-API-KEY"] == "rotated-key"
    client.close()


@respx.mock
def test_a_bitscale_key_with_a_line_break_inside_is_named_as_the_cause():
    route = respx.get(f"{BASE}/grids").respond(200, json={})
    client = BitScaleClient(
        "secret\nkey", BASE, limiter=RateLimiter(rate=1000), sleep=lambda s: None
    )
    with pytest.raises(BitScaleError) as caught:
        client.list_grids()
    assert not route.called
    sentence = explain(caught.value)
    assert "line break" in sentence and "BITSCALE_API_KEY" in sentence
    assert "could not reach" not in sentence and "secret" not in sentence
    client.close()


@respx.mock
def test_a_bittlebits_key_is_trimmed_and_a_broken_one_named():
    route = respx.post("https://bb.test/api/v1/score").respond(
        200, json={"status": "submitted", "url_id": 42, "created": True}
    )
    client = BittlebitsClient("bb-key\n", "https://bb.test/api")
    client.submit("score", url="https://example.com")
    assert route.calls.last.request.headers["X-API-Key"] == "bb-key"
    broken = BittlebitsClient("bb\nkey", "https://bb.test/api")
    with pytest.raises(BittlebitsError) as caught:
        broken.submit("score", url="https://example.com")
    assert "line break" in explain_bb(caught.value) and route.call_count == 1
    client.close()
    broken.close()

