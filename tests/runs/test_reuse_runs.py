"""The run lifecycle with reuse: a reused row is recorded and delivered, nothing is sent."""

from __future__ import annotations

import respx

from bot.runs.reuse import ResultIndex
from bot.runs.service import RunService
from tests.runs.test_runs import BASE, DONE, RecordingNotifier, request  # noqa: F401
from tests.runs.test_runs import env as env  # noqa: F401 - the fixture


def with_index(service: RunService, clock) -> ResultIndex:
    service.results = ResultIndex(service.store, clock=clock)
    return service.results


@respx.mock
def test_a_matching_request_is_answered_from_the_stored_result(env):
    service, notifier, clock, store = env
    with_index(service, clock)
    route = respx.post(f"{BASE}/grids/g1/run").respond(200, json=DONE)
    first, _ = service.start_run(request(reuse=True))
    clock.now += 3600
    again, created = service.start_run(request(reuse=True, dedupe_key="view:V2", user_id="U2"))
    assert created and route.call_count == 1
    saved = store.get_run(again.id)
    assert saved.state == "reused" and saved.reused_from == first.id
    assert saved.reused_from_user == "U1" and saved.reused_from_at == clock.now - 3600
    assert saved.notified_at
    assert notifier.delivered[-1] == (again.id, "reused", DONE["outputs"], None)
    # the same submission again starts nothing, and a reused row is never itself a result
    assert service.start_run(request(reuse=True, dedupe_key="view:V2"))[1] is False
    assert service.results.find("g1", {"company_name": "Acme"}, channel_id="C1").run_id == first.id


@respx.mock
def test_without_reuse_a_real_run_is_made(env):
    service, _, clock, _ = env
    with_index(service, clock)
    route = respx.post(f"{BASE}/grids/g1/run").respond(200, json=DONE)
    service.start_run(request(reuse=True))
    service.start_run(request(dedupe_key="fresh:1"))
    assert route.call_count == 2


@respx.mock
def test_a_run_inserted_without_a_key_gets_one_when_it_completes(env):
    service, _, clock, store = env
    index = with_index(service, clock)  # made first: its start-up backfill cannot help
    respx.post(f"{BASE}/grids/g1/run").respond(200, json=DONE)
    original = store.insert_run
    store.insert_run = lambda run: original(run.__class__(**{**run.__dict__, "input_key": None}))
    run, _ = service.start_run(request())
    assert store.get_run(run.id).state == "completed"
    assert index.find("g1", {"company_name": "Acme"}, channel_id="C1").run_id == run.id
