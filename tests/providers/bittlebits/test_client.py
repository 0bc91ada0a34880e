"""The Bittlebits client against every status of the reference (respx)."""

from __future__ import annotations

import httpx
import pytest
import respx

from bot.providers.bittlebits.client import BittlebitsClient
from bot.providers.bittlebits.errors import BittlebitsError, NotSent, explain
from bot.providers.bittlebits.models import Pending, Rewrite, Score
from bot.providers.limiter import RateLimiter

BASE = "https://bb.test/api"


@pytest.fixture
def client():
    c = BittlebitsClient(
        "secret-key",
        BASE,
        post_limiter=RateLimiter(rate=100, per=3600),
        get_limiter=RateLimiter(rate=1000),
    )
    yield c
    c.close()


@respx.mock
def test_submit_sends_the_key_and_the_url_as_query(client):
    route = respx.post(f"{BASE}/v1/score").respond(
        200, json={"status": "submitted", "url_id": 42, "created": True}
    )
    submitted = client.submit("score", url="https://example.com/page")
    request = route.calls.last.request
    assert request.headers["X-API-Key"] == "secret-key"
    assert request.url.params["url"] == "https://example.com/page"
    assert (submitted.url_id, submitted.created) == (42, True)


@respx.mock
def test_resubmit_by_url_id(client):
    route = respx.post(f"{BASE}/v1/rewrite").respond(
        200, json={"status": "submitted", "url_id": 42, "created": False}
    )
    assert client.submit("rewrite", url_id=42).created is False
    assert route.calls.last.request.url.params["url_id"] == "42"


@respx.mock
def test_200_score_202_pending_and_200_rewrite(client):
    respx.get(f"{BASE}/v1/score").mock(
        side_effect=[
            httpx.Response(202, json={"status": "pending", "task_id": "abc", "url_id": 42}),
            httpx.Response(200, json={"url_id": 42, "metrics": {"content_depth": 6.5}}),
        ]
    )
    assert isinstance(client.result("score", url_id=42), Pending)
    score = client.result("score", url_id=42)
    assert isinstance(score, Score) and score.metrics == {"content_depth": 6.5}
    respx.get(f"{BASE}/v1/rewrite").respond(
        200,
        json={
            "url_id": 42,
            "parsed_html": "# x",
            "suggestions": [
                {
                    "stable_id": "hero-h1",
                    "current_text": "Welcome",
                    "suggested_text": "Better",
                    "rationale": "Why",
                    "is_addition": False,
                }
            ],
        },
    )
    rewrite = client.result("rewrite", url_id=42)
    assert isinstance(rewrite, Rewrite) and rewrite.suggestions[0].suggested_text == "Better"


@pytest.mark.parametrize(
    "status,code,resubmit",
    [
        (400, "BAD_REQUEST", False),
        (401, "UNAUTHORIZED", False),
        (404, "NOT_FOUND", False),
        (410, "REVOKED", True),
        (429, "RATE_LIMITED", False),
        (500, "SERVER_ERROR", False),
        (504, "TIMED_OUT", True),
    ],
)
@respx.mock
def test_every_error_status_has_a_code_and_a_sentence(client, status, code, resubmit):
    respx.get(f"{BASE}/v1/score").respond(status, json={"error": "Human-readable description"})
    with pytest.raises(BittlebitsError) as caught:
        client.result("score", url_id=42)
    error = caught.value
    assert (error.status, error.code, error.resubmit) == (status, code, resubmit)
    assert error.message == "Human-readable description"
    sentence = explain(error)
    assert sentence.endswith(".") and "secret-key" not in sentence + str(error)
    assert any(w in sentence for w in ("Try", "Ask", "again", "waits", "Check"))


@respx.mock
def test_odd_bodies_still_give_clean_errors(client):
    respx.get(f"{BASE}/v1/score").mock(
        side_effect=[
            httpx.Response(502, text="<html>Bad gateway</html>"),
            httpx.Response(200, text="not json"),
            httpx.Response(200, json=[1, 2]),
        ]
    )
    for code in ("SERVER_ERROR", "BAD_RESPONSE", "BAD_RESPONSE"):
        with pytest.raises(BittlebitsError) as caught:
            client.result("score", url_id=1)
        assert caught.value.code == code


@respx.mock
def test_no_connection_is_not_sent(client):
    respx.post(f"{BASE}/v1/score").mock(side_effect=httpx.ConnectError("refused"))
    with pytest.raises(NotSent):
        client.submit("score", url="https://example.com")


def test_the_hourly_budget_refuses_without_waiting_or_sending():
    clock = [0.0]
    post = RateLimiter(rate=2, per=3600, clock=lambda: clock[0])
    c = BittlebitsClient("k", BASE, post_limiter=post, get_limiter=RateLimiter(rate=100))
    with respx.mock:
        route = respx.post(f"{BASE}/v1/score").respond(
            200, json={"status": "submitted", "url_id": 1, "created": True}
        )
        c.submit("score", url="https://a.example")
        c.submit("score", url="https://b.example")
        with pytest.raises(NotSent) as caught:
            c.submit("score", url="https://c.example")
        assert caught.value.code == "BUDGET_SPENT" and route.call_count == 2
        assert 3599 < caught.value.retry_after <= 3600.1
        clock[0] = 3600.2
        c.submit("score", url="https://c.example")
        assert route.call_count == 3
    c.close()


def test_repr_hides_the_key(client):
    assert "secret-key" not in repr(client)
