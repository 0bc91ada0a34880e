"""Key rotation in the client and keys.py: stored before use, failures keep the old key,
runs in flight with the old key are not lost, and the key is never logged or audited."""

from __future__ import annotations

import json
import logging
import threading

import httpx
import pytest
import respx

from bot.governance.audit import AuditLog
from bot.governance.keys import KeyStore, choose_key, rotate
from bot.providers.bitscale.client import BitScaleClient
from bot.providers.limiter import RateLimiter
from bot.store.database import Store
from tests.providers.bitscale.test_client import WORKSPACE as _WORKSPACE

BASE = "https://api.test/api/v1"
WORKSPACE = _WORKSPACE


@pytest.fixture
def client():
    c = BitScaleClient("old-key", BASE, limiter=RateLimiter(rate=1000), sleep=lambda s: None)
    yield c
    c.close()


@pytest.fixture
def store(tmp_path):
    return Store(tmp_path / "bot.db")


@respx.mock
def test_the_new_key_is_stored_before_the_client_uses_it(client, store, caplog):
    caplog.set_level(logging.DEBUG)
    keys, audit = KeyStore(store), AuditLog(store)
    seen_at_persist = []
    route = respx.post(f"{BASE}/api-key/rotate").respond(200, json={"api_key": "new-key-1"})
    original_put = keys.put

    def put(key, actor):
        seen_at_persist.append(client._api_key)  # still the old key while storing
        original_put(key, actor)

    keys.put = put  # type: ignore[method-assign]
    result = rotate(client, keys, audit, "U0ADMIN")
    assert result.ok and result.new_key == "new-key-1"
    assert route.calls.last.request.headers["X-API-KEY"] == "old-key"
    assert seen_at_persist == ["old-key"]
    assert KeyStore(store).get() == "new-key-1" and choose_key(keys, "env-key") == "new-key-1"
    ws = respx.get(f"{BASE}/workspace").respond(200, json=WORKSPACE)
    client.workspace()
    assert ws.calls.last.request.headers["X-API-KEY"] == "new-key-1"
    entries = audit.entries()
    assert [e.action for e in entries] == ["key_rotated"]
    assert "new-key-1" not in json.dumps([e.details for e in entries])
    assert not [r for r in caplog.records if "new-key-1" in r.getMessage()]


@respx.mock
@pytest.mark.parametrize(
    "answer",
    [
        httpx.Response(500, json={"error": {"code": "ROTATE_FAILED", "message": "nope"}}),
        httpx.ConnectError("down"),
    ],
)
def test_a_failed_rotation_keeps_the_old_key(client, store, answer):
    keys, audit = KeyStore(store), AuditLog(store)
    route = respx.post(f"{BASE}/api-key/rotate")
    route.side_effect = [answer] if isinstance(answer, Exception) else None
    if not isinstance(answer, Exception):
        route.mock(return_value=answer)
    result = rotate(client, keys, audit, "U0ADMIN")
    assert not result.ok and result.new_key is None
    assert "old key is still the one in use" in result.sentence
    assert keys.get() is None and client._api_key == "old-key"
    assert route.call_count == 1  # never retried: a retry could rotate twice
    assert audit.entries()[0].action == "key_rotation_failed"


@respx.mock
def test_a_request_sent_with_the_old_key_is_sent_again_with_the_new_one(client):
    # A request that left with the old key just before the swap comes back 401.
    calls = []

    def answer(request):
        calls.append(request.headers["X-API-KEY"])
        if request.headers["X-API-KEY"] == "old-key":
            client._api_key = "new-key-2"  # the rotation finished meanwhile
            return httpx.Response(401, json={"error": {"code": "INVALID_API_KEY", "message": "x"}})
        return httpx.Response(200, json=WORKSPACE)

    respx.get(f"{BASE}/workspace").mock(side_effect=answer)
    assert client.workspace().credits.remaining == _WORKSPACE["credits"]["remaining"]
    assert calls == ["old-key", "new-key-2"]


@respx.mock
def test_requests_wait_while_a_rotation_is_in_progress(client):
    started, release = threading.Event(), threading.Event()

    def slow_rotate(request):
        started.set()
        release.wait(5)
        return httpx.Response(200, json={"api_key": "new-key-3"})

    respx.post(f"{BASE}/api-key/rotate").mock(side_effect=slow_rotate)
    ws = respx.get(f"{BASE}/workspace").respond(200, json=WORKSPACE)
    rotation = threading.Thread(target=client.rotate_key)
    rotation.start()
    assert started.wait(5)
    reader = threading.Thread(target=client.workspace)
    reader.start()
    reader.join(0.2)
    assert reader.is_alive() and ws.call_count == 0  # held back, not sent with a dying key
    release.set()
    rotation.join(5)
    reader.join(5)
    assert ws.calls.last.request.headers["X-API-KEY"] == "new-key-3"


def test_database_files_are_owner_only(tmp_path):
    import os
    import stat

    store = Store(tmp_path / "bot.db")
    KeyStore(store).put("k", "U1")
    for suffix in ("", "-wal", "-shm"):
        path = str(tmp_path / "bot.db") + suffix
        if os.path.exists(path):
            assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


@respx.mock
@pytest.mark.parametrize(
    "old_key_answer, said, outcome",
    [
        (
            httpx.Response(401, json={"error": {"code": "INVALID_API_KEY", "message": "x"}}),
            "no longer works",
            "outcome_unknown_old_key_dead",
        ),
        (
            httpx.Response(200, json=WORKSPACE),
            "it still works, so the key was not rotated",
            "TIMEOUT",
        ),
    ],
)
def test_a_rotation_whose_answer_is_lost_checks_the_old_key_at_once(
    client, store, old_key_answer, said, outcome
):
    """issue 27, N12: a timeout is no "old key still works" until the old key was tried."""
    keys, audit = KeyStore(store), AuditLog(store)
    respx.post(f"{BASE}/api-key/rotate").side_effect = httpx.ReadTimeout("lost")
    check = respx.get(f"{BASE}/workspace").mock(return_value=old_key_answer)
    result = rotate(client, keys, audit, "U0ADMIN")
    assert not result.ok and result.new_key is None and said in result.sentence
    assert check.call_count == 1 and check.calls.last.request.headers["X-API-KEY"] == "old-key"
    assert audit.entries()[0].outcome == outcome
    if outcome != "TIMEOUT":  # dead: how to recover
        assert "Set API key" in result.sentence and "old key is still" not in result.sentence
