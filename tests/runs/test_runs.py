"""The run lifecycle against respx-mocked BitScale and a recording notifier."""

from __future__ import annotations

import httpx
import pytest
import respx

from bot.providers.base import Providers
from bot.providers.bitscale.client import BitScaleClient
from bot.providers.bitscale.provider import BitScaleProvider
from bot.providers.limiter import RateLimiter
from bot.runs.service import RunService
from bot.runs.types import Announcement, DeliveryError, RunRequest
from bot.store.database import Store
from tests.factories import Clock, make_run

BASE = "https://api.test/api/v1"


class RecordingNotifier:
    def __init__(self) -> None:
        self.announced, self.delivered = [], []
        self.fail_next: list[DeliveryError] = []
        self.delivered_remotely: set[str] = set()

    def announce(self, run):
        self.announced.append(run.id)
        return Announcement("C1", f"ts-{len(self.announced)}", "https://link")

    def deliver(self, run):
        if self.fail_next:
            raise self.fail_next.pop(0)
        self.delivered.append((run.id, run.state, run.outputs, run.error_message))

    def already_delivered(self, run):
        return run.id in self.delivered_remotely


@pytest.fixture
def env(tmp_path):
    clock = Clock(1_000_000.0)
    client = BitScaleClient(
        "k", BASE, limiter=RateLimiter(rate=1000), sleep=lambda s: None, max_retries=1
    )
    notifier = RecordingNotifier()
    store = Store(tmp_path / "runs.db")
    service = RunService(
        store,
        Providers(BitScaleProvider(client, mode="sync", poll_interval=3.0)),
        notifier,
        clock=clock,
        inline=True,
        expiry_seconds=600,
    )
    yield service, notifier, clock, store
    client.close()


def request(**kw):
    base = dict(
        grid_id="g1",
        grid_name="Grid",
        inputs={"company_name": "Acme"},
        user_id="U1",
        channel_id="C1",
        dedupe_key="view:V1",
    )
    base.update(kw)
    return RunRequest(**base)


DONE = {"mode": "sync", "status": "completed", "outputs": {"c1": {"value": 5, "name": "N"}}}
RUNNING = {"mode": "sync", "status": "running", "request_id": "req-1", "poll_url": "/x"}


@respx.mock
def test_sync_completion_is_delivered_once(env):
    service, notifier, _, store = env
    route = respx.post(f"{BASE}/grids/g1/run").respond(200, json=DONE)
    run, created = service.start_run(request())
    assert created and route.call_count == 1
    saved = store.get_run(run.id)
    assert saved.state == "completed" and saved.notified_at and saved.message_ts == "ts-1"
    assert notifier.delivered == [(run.id, "completed", DONE["outputs"], None)]
    service.tick()
    assert len(notifier.delivered) == 1


@respx.mock
def test_same_dedupe_key_starts_nothing_new(env):
    service, notifier, _, _ = env
    route = respx.post(f"{BASE}/grids/g1/run").respond(200, json=DONE)
    first, _ = service.start_run(request())
    again, created = service.start_run(request())
    assert not created and again.id == first.id
    assert route.call_count == 1 and len(notifier.announced) == 1


@respx.mock
def test_running_run_is_polled_until_done(env):
    service, notifier, clock, store = env
    respx.post(f"{BASE}/grids/g1/run").respond(200, json=RUNNING)
    status = respx.get(f"{BASE}/run/status/req-1")
    status.side_effect = [
        httpx.Response(200, json={"status": "running", "mode": "sync"}),
        httpx.Response(200, json={**DONE, "grid_id": "g1"}),
    ]
    run, _ = service.start_run(request())
    assert store.get_run(run.id).state == "running"
    service.tick()
    assert status.call_count == 0  # not due yet: polls wait 3 s
    clock.now += 3
    service.tick()
    assert store.get_run(run.id).state == "running" and status.call_count == 1
    clock.now += 3
    service.tick()
    assert store.get_run(run.id).state == "completed" and len(notifier.delivered) == 1


@respx.mock
def test_failed_status_and_run_failed_error(env):
    service, notifier, clock, store = env
    respx.post(f"{BASE}/grids/g1/run").respond(
        500, json={"error": {"code": "RUN_FAILED", "message": "Provider down"}}
    )
    run, _ = service.start_run(request())
    saved = store.get_run(run.id)
    assert saved.state == "failed" and saved.error_message == "Provider down"


@pytest.mark.parametrize(
    "code,status",
    [
        ("MISSING_SOURCE", 400),
        ("FEATURE_DISABLED", 403),
        ("GRID_NOT_FOUND", 404),
        ("INVALID_API_KEY", 401),
    ],
)
@respx.mock
def test_client_errors_fail_with_a_human_sentence(env, code, status):
    service, notifier, _, store = env
    respx.post(f"{BASE}/grids/g1/run").respond(
        status, json={"error": {"code": code, "message": "m"}}
    )
    run, _ = service.start_run(request())
    saved = store.get_run(run.id)
    assert saved.state == "failed" and saved.error_code == code
    assert "Ask" in saved.error_message or "Use" in saved.error_message


@respx.mock
def test_timeout_after_sending_is_interrupted_never_resent(env):
    service, notifier, clock, store = env
    route = respx.post(f"{BASE}/grids/g1/run").mock(side_effect=httpx.ReadTimeout("slow"))
    run, _ = service.start_run(request())
    saved = store.get_run(run.id)
    assert saved.state == "interrupted" and "not re-sent" in saved.error_message
    clock.now += 60
    service.tick()
    assert route.call_count == 1 and len(notifier.delivered) == 1


@respx.mock
def test_rejected_submissions_go_back_in_the_queue(env):
    service, _, clock, store = env
    route = respx.post(f"{BASE}/grids/g1/run")
    route.side_effect = [
        httpx.Response(
            429,
            headers={"Retry-After": "3"},
            json={"error": {"code": "RATE_LIMIT_EXCEEDED", "message": "x"}},
        ),
        httpx.ConnectError("refused"),
        httpx.Response(200, json=DONE),
    ]
    run, _ = service.start_run(request())
    assert store.get_run(run.id).state == "queued" and route.call_count == 1
    service.tick()
    assert store.get_run(run.id).state == "queued"  # waits Retry-After before trying again
    clock.now += 3
    service.tick()
    assert store.get_run(run.id).state == "queued" and route.call_count == 2
    clock.now += 2
    service.tick()
    assert store.get_run(run.id).state == "completed" and route.call_count == 3


@respx.mock
def test_poll_errors_back_off_and_the_run_expires_eventually(env):
    service, notifier, clock, store = env
    respx.post(f"{BASE}/grids/g1/run").respond(200, json=RUNNING)
    respx.get(f"{BASE}/run/status/req-1").respond(503)
    run, _ = service.start_run(request())
    gaps = []
    for _ in range(4):
        clock.now = store.get_run(run.id).next_poll_at
        service.tick()
        gaps.append(store.get_run(run.id).next_poll_at - clock.now)
    assert gaps == sorted(gaps) and gaps[-1] <= 60
    clock.now = run.created_at + 601
    service.tick()
    saved = store.get_run(run.id)
    assert saved.state == "expired" and "Last problem" in saved.error_message
    assert notifier.delivered[-1][1] == "expired"


@respx.mock
def test_request_not_found_while_polling_fails_the_run(env):
    service, _, clock, store = env
    respx.post(f"{BASE}/grids/g1/run").respond(200, json=RUNNING)
    respx.get(f"{BASE}/run/status/req-1").respond(
        404, json={"error": {"code": "REQUEST_NOT_FOUND", "message": "gone"}}
    )
    run, _ = service.start_run(request())
    clock.now += 3
    service.tick()
    assert store.get_run(run.id).state == "failed"


@respx.mock
def test_delivery_is_retried_then_given_up(env):
    service, notifier, clock, store = env
    respx.post(f"{BASE}/grids/g1/run").respond(200, json=DONE)
    notifier.fail_next = [DeliveryError("ratelimited", retry_after=7)]
    run, _ = service.start_run(request())
    saved = store.get_run(run.id)
    assert saved.notified_at is None and saved.notify_next_at == clock.now + 7
    clock.now += 7
    service.tick()
    assert store.get_run(run.id).notified_at and len(notifier.delivered) == 1

    notifier.fail_next = [DeliveryError("channel gone", retryable=False)]
    other, _ = service.start_run(request(dedupe_key="view:V2"))
    assert store.get_run(other.id).notify_error == "channel gone"


@respx.mock
def test_a_result_already_in_the_thread_is_not_posted_again(env):
    service, notifier, clock, store = env
    respx.post(f"{BASE}/grids/g1/run").respond(200, json=DONE)
    notifier.fail_next = [DeliveryError("connection reset")]
    run, _ = service.start_run(request())
    notifier.delivered_remotely.add(run.id)  # Slack had taken it after all
    clock.now += 60
    service.tick()
    assert notifier.delivered == [] and store.get_run(run.id).notified_at


def test_recover_interrupts_runs_cut_off_mid_submission(env):
    service, notifier, clock, store = env
    store.insert_run(
        make_run(
            id="cut", state="submitting", created_at=clock.now, message_ts="ts-0", post_channel="C1"
        )
    )
    store.insert_run(
        make_run(id="waiting", state="queued", created_at=clock.now, submit_after=clock.now)
    )
    assert service.recover() == 1
    with respx.mock:
        route = respx.post(f"{BASE}/grids/g1/run").respond(200, json=DONE)
        service.tick()
        assert route.call_count == 1  # only the one that never left
    assert store.get_run("cut").state == "interrupted"
    assert {d[0] for d in notifier.delivered} == {"cut", "waiting"}


@respx.mock
def test_results_are_kept_through_a_long_slack_outage_and_go_out_once_it_ends(env):
    service, notifier, clock, store = env
    respx.post(f"{BASE}/grids/g1/run").respond(200, json=DONE)
    outage = DeliveryError("Slack is down")
    notifier.fail_next = [outage] * 10_000
    first, _ = service.start_run(request())
    second, _ = service.start_run(request(dedupe_key="view:V2", inputs={"company_name": "B"}))
    due = store.get_run(first.id).finished_at
    # 23 hours of outage, ticking every minute of the injected clock: never given up, and
    # the wait between tries is capped at 5 minutes.
    while clock.now - due < 23 * 3600:
        clock.now += 60
        service.tick()
    for run_id in (first.id, second.id):
        saved = store.get_run(run_id)
        assert saved.notify_error is None and saved.notified_at is None
        assert saved.notify_attempts > 12
        assert saved.notify_next_at - saved.notify_attempted_at <= 300
    # Slack answers again: both go within seconds, not at the end of their back-off.
    notifier.fail_next = []
    for _ in range(6):
        clock.now += 5
        service.tick()
    assert {d[0] for d in notifier.delivered} == {first.id, second.id}
    assert all(store.get_run(r).notified_at for r in (first.id, second.id))


@respx.mock
def test_a_result_still_refused_after_24_hours_is_given_up(env):
    service, notifier, clock, store = env
    respx.post(f"{BASE}/grids/g1/run").respond(200, json=DONE)
    notifier.fail_next = [DeliveryError("Slack is down")] * 10_000
    run, _ = service.start_run(request())
    due = store.get_run(run.id).finished_at
    while clock.now - due < 24 * 3600 + 600:
        clock.now += 300
        service.tick()
    assert store.get_run(run.id).notify_error == "Slack is down"
