"""The same question asked again while the first is still running joins it: one request to
BitScale, an answer for each asker; the limits are reuse's (reuse.py's one rule)."""

from __future__ import annotations

import json

import pytest
import respx

from bot.providers.base import Providers
from bot.providers.bitscale.client import BitScaleClient
from bot.providers.bitscale.provider import BitScaleProvider
from bot.providers.limiter import RateLimiter
from bot.runs.reuse import ResultIndex
from bot.runs.service import RunService
from bot.slack import blocks as kit
from bot.store.database import Store
from tests.factories import Clock, make_run
from tests.runs.test_runs import BASE, DONE, RUNNING, RecordingNotifier, request

STATUS = f"{BASE}/run/status/req-1"


@pytest.fixture
def env(database_target):
    """The run core on each backend in turn, against respx-mocked BitScale."""
    clock = Clock(1_000_000.0)
    client = BitScaleClient("k", BASE, limiter=RateLimiter(rate=1000), sleep=lambda s: None)
    notifier, store = RecordingNotifier(), Store(database_target)
    provider = BitScaleProvider(client, mode="sync", poll_interval=3.0)
    service = RunService(store, Providers(provider), notifier, clock=clock, inline=True)
    yield service, notifier, clock, store
    client.close()
    store.close()


def ready(env, **index):
    service, notifier, clock, store = env
    service.results = ResultIndex(store, clock=clock, **index)
    post = respx.post(f"{BASE}/grids/g1/run").respond(200, json=RUNNING)
    return service, notifier, clock, store, post


def finish(service, clock):
    respx.get(STATUS).respond(200, json={**DONE, "request_id": "req-1"})
    clock.now += 10
    service.tick()


@respx.mock
def test_an_identical_request_joins_the_run_in_flight_and_both_are_answered(env):
    service, notifier, clock, store, post = ready(env)
    first, _ = service.start_run(request(reuse=True))
    clock.now += 3
    same = {"company_name": "  Acme "}  # the same question, typed a little differently
    second, created = service.start_run(
        request(reuse=True, dedupe_key="v2", user_id="U2", inputs=same)
    )
    assert created and second.joined_to == first.id and post.call_count == 1
    text = json.dumps(kit.announcement(second)[1])
    assert "The same question is already running (asked 3 s ago)" in text
    assert "you'll get its answer here" in text
    finish(service, clock)
    answers = {d[0]: d[1:3] for d in notifier.delivered}
    assert answers[first.id] == answers[second.id] == ("completed", DONE["outputs"])
    assert post.call_count == 1 and store.get_run(second.id).notified_at


@respx.mock
def test_run_fresh_other_outputs_and_other_inputs_get_their_own_run(env):
    service, _, clock, _, post = ready(env)
    first, _ = service.start_run(request(reuse=True))
    fresh, _ = service.start_run(request(dedupe_key="fresh:1"))  # Run fresh: reuse off
    narrower, _ = service.start_run(request(reuse=True, dedupe_key="v3", output_columns=["c1"]))
    other, _ = service.start_run(request(reuse=True, dedupe_key="v4", inputs={"company_name": "B"}))
    assert [r.joined_to for r in (fresh, narrower, other)] == [None, None, None]
    assert post.call_count == 4
    # a fresh run is itself a run that later identical questions may join
    later, _ = service.start_run(request(reuse=True, dedupe_key="v5"))
    assert later.joined_to == first.id


@respx.mock
def test_a_private_run_is_joined_only_by_its_own_asker(env):
    service, _, _, _, post = ready(env)
    private, _ = service.start_run(request(reuse=True, channel_id=None))
    someone, _ = service.start_run(
        request(reuse=True, dedupe_key="v2", user_id="U2", channel_id=None)
    )
    in_channel, _ = service.start_run(request(reuse=True, dedupe_key="v3", user_id="U2"))
    again, _ = service.start_run(request(reuse=True, dedupe_key="v4", channel_id="D0U1"))
    assert someone.joined_to is None and in_channel.joined_to is None
    assert again.joined_to == private.id and post.call_count == 3


@respx.mock
def test_no_join_for_someone_who_may_not_run_the_grid_or_when_reuse_is_off(env):
    service, _, _, _, post = ready(env, may_run=lambda user, grid: user != "U9")
    first, _ = service.start_run(request(reuse=True))
    barred, _ = service.start_run(request(reuse=True, dedupe_key="v2", user_id="U9"))
    assert barred.joined_to is None and post.call_count == 2
    service.results.default_days = 0  # RESULT_REUSE_DAYS=0: no shared answers at all
    alone, _ = service.start_run(request(reuse=True, dedupe_key="v3", user_id="U2"))
    assert alone.joined_to is None and post.call_count == 3 and first.joined_to is None


@respx.mock
def test_a_batch_row_folds_into_an_identical_run_in_flight(env):
    service, notifier, clock, store, post = ready(env)
    lead, _ = service.start_run(request(reuse=True))
    row = make_run(id="row1", state="queued", batch_id="b1", inputs={"company_name": "acme"})
    other = make_run(id="row2", state="queued", batch_id="b1", inputs={"company_name": "Acme"})
    for r in (row, other):
        store.insert_run(r.__class__(**{**r.__dict__, "user_id": "U1", "created_at": clock.now}))
    service.submit_now("row1", 4, fold=True)  # case differs: another company to a grid
    service.submit_now("row2", 4, fold=True)
    assert store.get_run("row1").joined_to is None and store.get_run("row2").joined_to == lead.id
    assert post.call_count == 2
    finish(service, clock)
    folded = store.get_run("row2")
    assert folded.state == "completed" and folded.outputs == DONE["outputs"]
    assert "row2" not in {d[0] for d in notifier.delivered}  # the batch reports its rows


@respx.mock
def test_a_joined_run_whose_leader_ended_unseen_ends_at_the_next_sweep(env):
    service, notifier, clock, store, _ = ready(env)
    lead, _ = service.start_run(request(reuse=True))
    follower, _ = service.start_run(request(reuse=True, dedupe_key="v2", user_id="U2"))
    # ended by another process in the instant the follower joined
    store.update_run(lead.id, state="failed", error_message="It broke.", finished_at=clock.now)
    clock.now += 11
    service.tick()
    ended = store.get_run(follower.id)
    assert ended.state == "failed" and ended.error_message == "It broke."
    assert (follower.id, "failed", None, "It broke.") in notifier.delivered
