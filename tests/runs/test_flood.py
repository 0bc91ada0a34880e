"""Sync in a flood: while FLOOD_BACKLOG or more submissions of a provider are due, its runs
may be held open until done (their result comes the moment BitScale has it), on an
injected clock against a real store."""

from __future__ import annotations

import json

import httpx
import respx

from bot.runs.held import FLOOD_BACKLOG, FLOOD_SEEN_FOR
from tests.factories import Clock, make_run
from tests.runs.test_auto_mode import ASYNC, sent_modes, service_for
from tests.runs.test_runs import BASE, DONE, request

NOW = 1_000_000.0


def queued(store, count: int, prefix: str = "q", **fields) -> None:
    for n in range(count):
        row = dict(id=f"{prefix}{n}", state="queued", submit_after=NOW - 1, created_at=NOW)
        store.insert_run(make_run(**{**row, **fields}))


def test_ten_due_submissions_make_a_flood_nine_do_not(tmp_path):
    clock = Clock(NOW)
    service, store = service_for(tmp_path, clock, inline=True)
    queued(store, FLOOD_BACKLOG - 1)
    assert not service.flooded("bitscale")
    clock.now += FLOOD_SEEN_FOR  # a count is trusted this long, then made again
    queued(store, 1, prefix="last")
    assert service.flooded("bitscale")
    assert not service.flooded("bittlebits")  # each provider's backlog is its own


def test_batch_rows_joined_runs_and_later_submissions_are_no_flood(tmp_path):
    clock = Clock(NOW)
    service, store = service_for(tmp_path, clock, inline=True)
    queued(store, FLOOD_BACKLOG, prefix="b", batch_id="batch-1")  # fed by the batch feeder
    queued(store, FLOOD_BACKLOG, prefix="later", submit_after=NOW + 60)
    queued(store, FLOOD_BACKLOG, prefix="j", joined_to="lead")
    assert not service.flooded("bitscale")


def test_one_count_serves_the_flood_for_half_a_second(tmp_path):
    clock = Clock(NOW)
    service, store = service_for(tmp_path, clock, inline=True)
    queued(store, FLOOD_BACKLOG)
    assert service.flooded("bitscale")
    store.sql.write("DELETE FROM runs")
    assert service.flooded("bitscale")  # counted a moment ago
    clock.now += FLOOD_SEEN_FOR
    assert not service.flooded("bitscale")


@respx.mock
def test_a_never_timed_grid_is_sent_sync_in_a_flood_and_async_otherwise(tmp_path):
    clock = Clock(NOW)
    service, store = service_for(tmp_path, clock, inline=True, drain_seconds=25)
    post = respx.post(f"{BASE}/grids/g1/run")
    post.side_effect = [httpx.Response(200, json=ASYNC), httpx.Response(200, json=DONE)]
    calm, _ = service.start_run(request(dedupe_key="calm"))
    assert store.get_run(calm.id).state == "running"  # async: polled later
    queued(store, FLOOD_BACKLOG, target="g2", grid_id="g2")  # a flood on another grid
    clock.now += FLOOD_SEEN_FOR
    flooded, _ = service.start_run(request(dedupe_key="flood"))
    saved = store.get_run(flooded.id)
    assert saved.state == "completed" and saved.mode == "sync"  # its result at once
    assert sent_modes(post) == ["async", "sync"]
    assert json.loads(post.calls[1].request.content)["inputs"] == saved.inputs
