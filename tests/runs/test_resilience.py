"""Runs never get stuck: surprises after a request leaves, stale states, deep or huge answers,
and a wall clock that jumps."""

from __future__ import annotations

import httpx
import respx

from tests.factories import make_run
from tests.runs.test_runs import BASE, DONE, env, request  # noqa: F401 - fixture


def _deep_json(levels: int) -> bytes:
    return (
        b'{"mode": "sync", "status": "completed", "outputs": {"c": {"name": "N", "value": '
        + b"[" * levels
        + b"1"
        + b"]" * levels
        + b"}}}"
    )


@respx.mock
def test_any_surprise_after_the_request_left_interrupts_the_run_and_tells_the_rep(env):  # noqa: F811
    service, notifier, clock, store = env
    respx.post(f"{BASE}/grids/g1/run").mock(side_effect=RecursionError("deep"))
    run, _ = service.start_run(request())
    saved = store.get_run(run.id)
    assert saved.state == "interrupted" and saved.notified_at
    assert "unexpected" in saved.error_message and "Check the grid" in saved.error_message
    assert notifier.delivered[-1][1] == "interrupted"


@respx.mock
def test_a_too_deeply_nested_answer_is_a_clean_error(env):  # noqa: F811
    service, notifier, clock, store = env
    respx.post(f"{BASE}/grids/g1/run").respond(200, content=_deep_json(5000))
    run, _ = service.start_run(request())
    saved = store.get_run(run.id)
    assert saved.state in ("interrupted", "failed") and saved.notified_at
    assert "nested too deeply" in saved.error_message


def test_stale_submitting_runs_expire_and_are_told(env):  # noqa: F811
    service, notifier, clock, store = env
    store.insert_run(
        make_run(
            id="stuck",
            state="submitting",
            owner=service.instance_id,
            created_at=clock.now - 601,
            submitted_at=clock.now - 601,
            message_ts="ts-0",
            post_channel="C1",
        )
    )
    store.insert_run(
        make_run(
            id="fresh",
            state="submitting",
            owner=service.instance_id,
            created_at=clock.now - 5,
            submitted_at=clock.now - 5,
        )
    )
    service.tick()
    assert store.get_run("stuck").state == "expired"
    assert "Check whether it ran" in store.get_run("stuck").error_message
    assert store.get_run("fresh").state == "submitting"
    assert [d[0] for d in notifier.delivered] == ["stuck"]


@respx.mock
def test_a_poll_surprise_backs_off_instead_of_sticking(env):  # noqa: F811
    service, notifier, clock, store = env
    respx.post(f"{BASE}/grids/g1/run").respond(
        200, json={"mode": "sync", "status": "running", "request_id": "req-1"}
    )
    status = respx.get(f"{BASE}/run/status/req-1")
    status.side_effect = [RecursionError("deep"), httpx.Response(200, json=DONE)]
    run, _ = service.start_run(request())
    clock.now += 3
    service.tick()
    saved = store.get_run(run.id)
    assert saved.state == "running" and saved.lease_until is None and saved.poll_errors == 1
    clock.now = saved.next_poll_at
    service.tick()
    assert store.get_run(run.id).state == "completed"


@respx.mock
def test_a_wall_clock_jump_does_not_expire_a_young_run(tmp_path, caplog):
    from bot.providers.base import Providers
    from bot.providers.bitscale.client import BitScaleClient
    from bot.providers.bitscale.provider import BitScaleProvider
    from bot.providers.limiter import RateLimiter
    from bot.runs.clock import SteadyClock
    from bot.runs.service import RunService
    from bot.store.database import Store
    from tests.runs.test_runs import RecordingNotifier

    wall, mono = [1_000_000.0], [50.0]
    clock = SteadyClock(wall=lambda: wall[0], monotonic=lambda: mono[0])
    client = BitScaleClient("k", BASE, limiter=RateLimiter(rate=1000), sleep=lambda s: None)
    store, notifier = Store(tmp_path / "db"), RecordingNotifier()
    service = RunService(
        store,
        Providers(BitScaleProvider(client)),
        notifier,
        clock=clock,
        inline=True,
        expiry_seconds=600,
    )
    respx.post(f"{BASE}/grids/g1/run").respond(
        200, json={"mode": "sync", "status": "running", "request_id": "req-1"}
    )
    respx.get(f"{BASE}/run/status/req-1").respond(200, json={"status": "running"})
    run, _ = service.start_run(request())
    wall[0] += 3600 + 3  # someone sets the system clock an hour ahead
    mono[0] += 3
    service.tick()
    assert store.get_run(run.id).state == "running"
    assert "clock jumped" in caplog.text
    wall[0] += 600
    mono[0] += 600
    service.tick()
    assert store.get_run(run.id).state == "expired"
    client.close()
