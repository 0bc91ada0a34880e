"""Answers over the size limit are not read; the rep is told why; big outputs are capped."""

from __future__ import annotations

import json

import httpx
import pytest
import respx

from bot.playground.rigs.stack import LocalStack
from bot.playground.simulators.bitscale import Simulator
from bot.playground.simulators.sim_grid import SimColumn, SimGrid
from bot.playground.slack.form_fill import form_values
from bot.playground.slack.records import wait_for
from bot.providers.bitscale.client import BitScaleClient
from bot.providers.bitscale.errors import BitScaleError, explain
from bot.providers.bitscale.provider import BitScaleProvider
from bot.providers.bittlebits.client import BittlebitsClient
from bot.providers.bittlebits.errors import BittlebitsError
from bot.providers.http_limits import MAX_RESPONSE_BYTES, RESPONSE_TOO_LARGE
from bot.providers.limiter import RateLimiter
from bot.providers.output_cap import MAX_STORED_BYTES
from tests.factories import make_run

BASE = "https://api.test/api/v1"
HUGE = b'{"status": "completed", "outputs": {"bio": {"name": "Bio", "value": "' + (
    b"x" * (MAX_RESPONSE_BYTES + 10)
) + b'"}}}'


def chunks(body: bytes):
    for i in range(0, len(body), 65536):
        yield body[i : i + 65536]


@pytest.fixture
def client():
    c = BitScaleClient("k", BASE, limiter=RateLimiter(rate=1000), sleep=lambda s: None)
    yield c
    c.close()


@respx.mock
def test_an_answer_declared_too_large_is_not_read(client):
    route = respx.get(f"{BASE}/run/status/r1").respond(200, content=HUGE)
    with pytest.raises(BitScaleError) as caught:
        client.run_status("r1")
    assert caught.value.code == RESPONSE_TOO_LARGE and route.call_count == 1  # not retried
    assert "larger than the bot reads" in explain(caught.value)


@respx.mock
def test_an_answer_streamed_without_a_length_is_cut_off_at_the_limit(client):
    sent = []

    def stream(request):
        def body():  # 40 MB, made only as far as it is read
            for _ in range(640):
                sent.append(65536)
                yield b"x" * 65536

        return httpx.Response(200, content=body())  # chunked: no Content-Length

    respx.get(f"{BASE}/run/status/r1").mock(side_effect=stream)
    with pytest.raises(BitScaleError, match=RESPONSE_TOO_LARGE):
        client.run_status("r1")
    assert sum(sent) <= MAX_RESPONSE_BYTES + 65536


@respx.mock
def test_answers_under_the_limit_are_read_as_before(client):
    body = {"status": "completed", "request_id": "r1", "outputs": {}}
    respx.get(f"{BASE}/run/status/r1").mock(
        side_effect=lambda r: httpx.Response(200, content=chunks(json.dumps(body).encode()))
    )
    assert client.run_status("r1").status == "completed"


@respx.mock
def test_a_poll_too_large_fails_the_run_with_the_reason(client):
    respx.get(f"{BASE}/run/status/r1").respond(200, content=HUGE)
    outcome = BitScaleProvider(client).poll(make_run(state="running", request_id="r1"))
    assert outcome.state == "failed" and outcome.code == RESPONSE_TOO_LARGE
    assert "larger than the bot reads" in outcome.message


@respx.mock
def test_bittlebits_answers_are_bounded_too():
    respx.get("https://bb.test/api/v1/score").respond(200, content=b"[" + b"1," * 3_000_000 + b"1]")
    bb = BittlebitsClient("k", "https://bb.test/api")
    with pytest.raises(BittlebitsError) as caught:
        bb.result("score", url_id=1)
    assert caught.value.code == RESPONSE_TOO_LARGE
    bb.close()


def test_a_huge_output_reaches_the_rep_capped_with_a_note(tmp_path):
    sim = Simulator("size-key", time_scale=100)
    grid = SimGrid(
        "Long Bio",
        "Writes a very long biography.",
        ["company_name"],
        [SimColumn("bio", "Bio", "enrichment", ["company_name"])],
        lambda inputs: {"bio": "word " * 600_000},  # 3 MB: under the answer limit
        duration=2,
    )
    sim.state.grids[grid.id] = grid
    with LocalStack(str(tmp_path / "bot.db"), simulator=sim, tick_seconds=0.05) as stack:
        view = stack.driver.open_run_form("run Long Bio")
        stack.driver.submit(view, form_values(view, {"company_name": "Acme"}))
        run = wait_for(
            lambda: next((r for r in stack.bot.store.all_runs() if r.state == "completed"), None),
            timeout=30,
        )
        stored = json.dumps(run.outputs, ensure_ascii=False).encode()
        assert len(stored) <= MAX_STORED_BYTES and "cut by the bot" in run.outputs["bio"]["value"]
        wait_for(lambda: stack.standin.posts("C0SALES", thread_ts=run.message_ts), timeout=30)
