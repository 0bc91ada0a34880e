"""Runs sent held (the submitting thread does not wait for the answer), against the
BitScale simulator over real HTTP."""

from __future__ import annotations

import socket
import threading
from concurrent.futures import Future, wait

import pytest

from bot.playground.simulators.bitscale import Simulator
from bot.playground.slack.records import wait_for
from bot.providers.base import Outcome
from bot.providers.bitscale.client import BitScaleClient
from bot.providers.bitscale.provider import BitScaleProvider
from bot.providers.limiter import RateLimiter
from tests.factories import make_run


@pytest.fixture
def sim():
    # 100x real time: a 100 s grid run takes 1 s, long enough to hold many at once (and
    # room for 30 requests in a second: this is about holding, not the rate budget).
    simulator = Simulator("test-key", time_scale=100, rate_limit=1000)
    simulator.add_timed_grid("Slow", 100)
    simulator.start()
    yield simulator
    simulator.stop()


def provider_for(url: str, mode: str = "sync") -> BitScaleProvider:
    client = BitScaleClient("test-key", url, limiter=RateLimiter(rate=1000))
    return BitScaleProvider(client, mode=mode)


def run_of(sim: Simulator, name: str = "Slow", i: int = 0):
    grid = sim.grid_named(name)
    return make_run(id=f"r{i}", grid_id=grid.id, state="queued", inputs={"company_name": f"C{i}"})


def bot_threads() -> int:
    """Threads of this process, leaving out the simulator's one-per-connection threads."""
    return sum("process_request" not in t.name for t in threading.enumerate())


def held(provider: BitScaleProvider, run) -> Outcome:
    answer = provider.submit(run, hold=True)
    assert isinstance(answer, Future)
    return answer.result(timeout=10)


def test_thirty_sync_runs_are_held_at_once_on_two_threads_at_most(sim):
    provider = provider_for(sim.url)
    before = bot_threads()
    try:
        answers = [provider.submit(run_of(sim, i=i), hold=True) for i in range(30)]
        # the runs are all in flight at BitScale together, none answered yet
        wait_for(lambda: sim.run_count == 30, 5)
        assert not any(a.done() for a in answers)
        assert bot_threads() - before <= 2  # the loop's thread (and nothing per run)
        done, _ = wait(answers, timeout=10)
        outcomes = [a.result() for a in done]
    finally:
        provider.close()
    assert len(outcomes) == 30 and {o.state for o in outcomes} == {"completed"}
    assert {o.mode for o in outcomes} == {"sync"}
    echoes = sorted(next(iter(o.outputs.values()))["value"] for o in outcomes)
    assert echoes == sorted(f"C{i}" for i in range(30))  # each run got its own answer


def test_a_429_comes_back_queued_for_retry_after_and_starts_nothing(sim):
    sim.inject(method="POST", path_contains="/run", status=429, code="RATE_LIMIT_EXCEEDED",
               retry_after=1)
    provider = provider_for(sim.url)
    try:
        outcome = held(provider, run_of(sim))
    finally:
        provider.close()
    assert outcome.state == "queued" and outcome.wait == 1
    assert sim.run_count == 0


def test_a_500_after_sending_is_cut_off_never_resent(sim):
    sim.inject(method="POST", path_contains="/run", status=500, code="INTERNAL_ERROR")
    provider = provider_for(sim.url)
    try:
        outcome = held(provider, run_of(sim))
    finally:
        provider.close()
    assert outcome.state == "interrupted"
    assert "not re-sent" in outcome.message
    assert sim.count(path_contains="/run") == 1


def test_a_plan_without_the_api_fails_with_the_reason(sim):
    sim.inject(method="POST", path_contains="/run", status=403, code="FEATURE_DISABLED",
               message="BitScale APIs not enabled on your plan.")
    provider = provider_for(sim.url)
    try:
        outcome = held(provider, run_of(sim))
    finally:
        provider.close()
    assert outcome.state == "failed" and outcome.code == "FEATURE_DISABLED"


def test_nobody_listening_means_nothing_was_sent_and_the_run_waits():
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    provider = provider_for(f"http://127.0.0.1:{port}/api/v1")
    try:
        outcome = held(provider, make_run(state="queued"))
    finally:
        provider.close()
    assert outcome.state == "queued"


def test_async_is_held_too_and_answers_with_the_request_id(sim):
    provider = provider_for(sim.url, mode="async")
    try:
        outcome = held(provider, run_of(sim))
    finally:
        provider.close()
    assert outcome.state == "running" and outcome.handle == sim.runs_for("Slow")[0].request_id


def test_without_hold_the_answer_comes_in_the_callers_thread(sim):
    provider = provider_for(sim.url)
    try:
        outcome = provider.submit(run_of(sim))
    finally:
        provider.close()
    assert isinstance(outcome, Outcome) and outcome.state == "completed"
