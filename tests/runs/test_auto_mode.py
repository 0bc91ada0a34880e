"""BITSCALE_RUN_MODE=auto and shutdown, against respx-mocked BitScale."""

from __future__ import annotations

import json

import httpx
import respx

from bot.providers.base import Providers
from bot.providers.bitscale.client import BitScaleClient
from bot.providers.bitscale.provider import BitScaleProvider
from bot.providers.limiter import RateLimiter
from bot.runs.service import RunService
from bot.store.database import Store
from tests.factories import Clock
from tests.runs.test_runs import BASE, DONE, RecordingNotifier, request

ASYNC = {"mode": "async", "status": "running", "request_id": "req-1", "poll_url": "/x"}


def service_for(tmp_path, clock, limiter=None, **kw):
    client = BitScaleClient(
        "k", BASE, limiter=limiter or RateLimiter(rate=1000), sleep=lambda s: None
    )
    store = Store(tmp_path / "runs.db")
    providers = Providers(BitScaleProvider(client))  # auto, polls 2-5 s apart
    return RunService(store, providers, RecordingNotifier(), clock=clock, **kw), store


def sent_modes(route) -> list[str]:
    return [json.loads(call.request.content)["mode"] for call in route.calls]


@respx.mock
def test_auto_sends_async_until_the_grid_proves_fast_then_sync(tmp_path):
    clock = Clock(1_000_000.0)
    service, store = service_for(tmp_path, clock, inline=True, drain_seconds=25)
    post = respx.post(f"{BASE}/grids/g1/run")
    post.side_effect = [httpx.Response(200, json=ASYNC)] * 3 + [httpx.Response(200, json=DONE)]
    respx.get(f"{BASE}/run/status/req-1").respond(200, json={**DONE, "mode": "async"})
    first_polls = []
    for i in range(3):
        run, _ = service.start_run(request(dedupe_key=f"v{i}"))
        saved = store.get_run(run.id)
        assert saved.state == "running" and saved.mode == "async"
        assert saved.request_id_at == clock.now  # the id is stored as soon as it comes
        first_polls.append(round(saved.next_poll_at - clock.now, 3))
        clock.now = saved.next_poll_at
        service.tick()
        assert store.get_run(run.id).state == "completed"
    # 2 s for a grid never timed; then the middle of what the first run showed (done
    # within 2 s), and 10 % earlier after a first poll that found it done
    assert first_polls == [2, 1, 0.9]
    run, _ = service.start_run(request(dedupe_key="v3"))
    assert store.get_run(run.id).mode == "sync" and store.get_run(run.id).state == "completed"
    assert sent_modes(post) == ["async", "async", "async", "sync"]


@respx.mock
def test_a_slow_grid_stays_async_and_is_first_polled_when_likely_done(tmp_path):
    clock = Clock(1_000_000.0)
    service, store = service_for(tmp_path, clock, inline=True, drain_seconds=25)
    respx.post(f"{BASE}/grids/g1/run").respond(200, json=ASYNC)
    status = respx.get(f"{BASE}/run/status/req-1")
    for i in range(4):
        run, _ = service.start_run(request(dedupe_key=f"v{i}"))
        sent = store.get_run(run.id).submitted_at
        finish_at = sent + 60  # every run takes 60 s
        while store.get_run(run.id).state == "running":
            clock.now = store.get_run(run.id).next_poll_at
            done = clock.now >= finish_at
            status.respond(200, json={**DONE, "mode": "async"} if done else {"status": "running"})
            service.tick()
    saved = store.get_run(run.id)
    assert saved.mode == "async"
    assert saved.polls <= 2  # by the fourth run the first poll comes at about 60 s
    assert service.timings.get(saved).first_poll >= 50


@respx.mock
def test_a_run_waiting_for_the_budget_at_shutdown_stays_queued_and_unsent(tmp_path):
    limiter = RateLimiter(rate=5)
    limiter.pause(30)  # BitScale said Retry-After: 30
    service, store = service_for(tmp_path, Clock(1_000_000.0), limiter=limiter)
    post = respx.post(f"{BASE}/grids/g1/run").respond(200, json=DONE)
    run, _ = service.start_run(request())
    service.shutdown(wait=False)
    assert service.drain(5)  # the waiting submission gives up at once
    assert store.get_run(run.id).state == "queued" and post.call_count == 0
