"""The Bittlebits simulator keeps to the reference: statuses, bodies, both limits per IP."""

from __future__ import annotations

import httpx
import pytest

from bot.playground.simulators.bittlebits import BittlebitsSimulator
from tests.factories import Clock


@pytest.fixture
def sim():
    clock = Clock()
    s = BittlebitsSimulator("key", task_seconds=4, clock=clock).start()
    s.clock_ = clock
    s.http = httpx.Client()
    yield s
    s.http.close()
    s.stop()


def call(sim, method, kind="score", key="key", header="X-API-Key", **params):
    headers = {header: key} if key else {}
    r = sim.http.request(method, f"{sim.url}/v1/{kind}", params=params, headers=headers)
    return r.status_code, r.json()


def test_submit_then_pending_then_ready(sim):
    status, body = call(sim, "POST", url="https://example.com/page")
    assert status == 200 and body == {"status": "submitted", "url_id": 42, "created": True}
    status, body = call(sim, "GET", url_id=42)
    assert status == 202 and body["status"] == "pending" and body["url_id"] == 42
    assert body["task_id"]
    sim.clock_.now += 8  # a new URL is scraped first: twice the task time
    status, body = call(sim, "GET", url_id=42)
    assert status == 200 and set(body) == {"url_id", "metrics"}
    assert all(0 <= v <= 10 for v in body["metrics"].values())
    # The same URL again: already known, queued directly.
    status, body = call(sim, "POST", kind="rewrite", url="https://example.com/page")
    assert body == {"status": "submitted", "url_id": 42, "created": False}
    sim.clock_.now += 4
    status, body = call(sim, "GET", kind="rewrite", url="https://example.com/page")
    assert status == 200 and body["suggestions"][0].keys() >= {
        "stable_id",
        "current_text",
        "suggested_text",
        "rationale",
        "is_addition",
    }


def test_errors_have_the_documented_shape(sim):
    assert call(sim, "GET", key=None, url_id=1) == (401, {"error": "Invalid or missing API key"})
    assert call(sim, "GET", key="wrong", url_id=1)[0] == 401
    assert call(sim, "POST", header="Authorization", url="https://a.example")[0] == 200
    assert call(sim, "POST")[0] == 400
    assert call(sim, "POST", url="not a url")[0] == 400
    assert call(sim, "GET", url_id=999)[0] == 404
    assert call(sim, "GET", kind="rewrite", url_id=42)[0] == 404  # nothing submitted yet
    sim.fail_next(500)
    status, body = call(sim, "GET", url_id=42)
    assert status == 500 and set(body) == {"error"}


def test_revoked_and_timed_out_tasks_on_demand(sim):
    sim.revoke_next("https://r.example")
    call(sim, "POST", url="https://r.example")
    sim.clock_.now += 10
    assert call(sim, "GET", url_id=42)[0] == 410
    assert call(sim, "POST", url_id=42)[0] == 200  # resubmitted: a new task
    sim.clock_.now += 10
    assert call(sim, "GET", url_id=42)[0] == 200
    call(sim, "POST", url="https://x.example/timeout-once")
    sim.clock_.now += 10
    assert call(sim, "GET", url_id=43)[0] == 504


def test_a_post_while_pending_is_counted(sim):
    call(sim, "POST", url="https://p.example")
    call(sim, "POST", url="https://p.example")
    assert sim.state.reposts_while_pending == 1


def test_posts_are_limited_to_100_an_hour_per_ip(sim):
    for i in range(100):
        assert call(sim, "POST", url=f"https://site{i}.example")[0] == 200
    status, body = call(sim, "POST", kind="rewrite", url="https://one-more.example")
    assert status == 429 and set(body) == {"error"}
    sim.clock_.now += 3600
    assert call(sim, "POST", url="https://one-more.example")[0] == 200


def test_gets_are_limited_to_5_a_second_per_ip(sim):
    call(sim, "POST", url="https://g.example")
    statuses = [call(sim, "GET", url_id=42)[0] for _ in range(6)]
    assert statuses == [202] * 5 + [429]
    sim.clock_.now += 1
    assert call(sim, "GET", url_id=42)[0] == 202
