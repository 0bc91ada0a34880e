"""GET /readyz: `200 ready`, or 503 with one line per failing check saying why and what to
do. The checks: the providers' keys (from their last real answer), results owed to Slack,
the Socket Mode connection, the database and the scheduler. Clocks are injected."""

from __future__ import annotations

import json
import os

import httpx
import pytest
from slack_sdk import WebClient
from slack_sdk.socket_mode.builtin import SocketModeClient

from bot.playground.rigs.bot_process import BotProcess
from bot.playground.rigs.stack import APP_TOKEN, BOT_TOKEN
from bot.playground.simulators.bitscale import Simulator
from bot.playground.simulators.bittlebits import BittlebitsSimulator
from bot.playground.slack.records import wait_for
from bot.playground.slack.standin import SlackStandIn
from bot.providers.bitscale.client import BitScaleClient
from bot.providers.bitscale.errors import BitScaleError
from bot.providers.bitscale.provider import BitScaleProvider
from bot.providers.bittlebits.client import BittlebitsClient
from bot.providers.bittlebits.errors import BittlebitsError
from bot.providers.bittlebits.provider import BittlebitsProvider
from bot.readiness import Readiness, owed_check
from bot.slack.socket_watch import SocketWatch
from bot.store.database import Store
from bot.web import health_app, wsgi_app
from tests.factories import Clock, make_run


def get(app, path="/readyz") -> tuple[str, str]:
    seen = {}
    body = app({"PATH_INFO": path, "REQUEST_METHOD": "GET"}, lambda s, h: seen.update(s=s))
    return seen["s"], b"".join(body).decode()


# --- the registry and the answer ------------------------------------------------------------


def test_ready_when_every_check_passes_and_one_line_per_failing_check():
    ready = Readiness()
    ready.add("a", lambda: None)
    assert get(health_app(readiness=ready)) == ("200 OK", "ready\n")
    ready.add("b", lambda: "database unreachable:\n  try again")
    ready.add("c", lambda: 1 / 0)
    ready.add("d", lambda: "scheduler stalled")
    status, text = get(health_app(readiness=ready))
    assert status == "503 Service Unavailable"
    assert text.splitlines() == [
        "database unreachable: try again",  # one line, whatever the check said
        "c check failed (ZeroDivisionError)",  # never a traceback
        "scheduler stalled",
    ]


def test_readyz_is_served_in_http_mode_before_any_signature_check():
    ready = Readiness()
    ready.add("key", lambda: "BitScale refuses BITSCALE_API_KEY")

    def bolt(environ, start_response):  # never reached by a probe
        raise AssertionError("Bolt saw a probe")

    app = wsgi_app(type("App", (), {"_signing_secret": "s"})(), readiness=ready)
    assert get(app) == ("503 Service Unavailable", "BitScale refuses BITSCALE_API_KEY\n")
    assert get(app, "/healthz") == ("200 OK", "ok\n")  # liveness stays as it was


def test_no_answer_shows_a_secret():
    from bot.logs import SECRETS

    SECRETS.add("xoxb-very-secret-token-1")
    ready = Readiness()
    ready.add("slack", lambda: "Slack said no to xoxb-very-secret-token-1")
    assert "xoxb-very" not in get(health_app(readiness=ready))[1]


# --- results owed to Slack -------------------------------------------------------------------


def test_results_owed_to_slack_are_counted_with_the_oldest_age(tmp_path):
    store, clock = Store(tmp_path / "bot.db"), Clock(1_700_010_000.0)
    check = owed_check(store, grace=120, clock=clock)
    assert check() is None
    for i, finished in enumerate([clock.now - 1500, clock.now - 600, clock.now - 30]):
        store.insert_run(make_run(id=f"owed{i}", dedupe_key=f"k{i}", finished_at=finished))
    store.insert_run(make_run(id="posted", dedupe_key="kp", finished_at=1, notified_at=2.0))
    store.insert_run(make_run(id="gave-up", dedupe_key="kg", finished_at=1, notify_error="x"))
    store.insert_run(make_run(id="live", dedupe_key="kl", state="running", finished_at=None))
    # the one ready 30 s ago is still within the moment a post takes
    assert check() == (
        "2 results are owed to Slack, the oldest for 25 min: Slack is refusing or not "
        "answering posts (the log says why); they are posted when it answers"
    )
    store.update_run("owed0", notified_at=clock.now)
    store.update_run("owed1", notified_at=clock.now)
    assert check() is None


# --- the providers' keys, from their real answers --------------------------------------------


def test_a_refused_bitscale_key_fails_readiness_until_a_request_succeeds_again():
    sim = Simulator("the-right-key", time_scale=100).start()
    client = BitScaleClient("bs-revoked-key", sim.url, max_retries=0)
    provider = BitScaleProvider(client)
    try:
        assert provider.key_problem() is None  # nothing said yet: no alarm
        with pytest.raises(BitScaleError):
            client.workspace()
        problem = provider.key_problem()
        assert problem.startswith(
            "BitScale refuses BITSCALE_API_KEY (INVALID_API_KEY, HTTP 401, for 0s): copy a "
            "current key from BitScale → Settings → Accounts → API Keys"
        )
        assert "bs-revoked-key" not in problem
        client.use_key("the-right-key")
        client.workspace()
        assert provider.key_problem() is None
    finally:
        client.close()
        sim.stop()


def test_a_refused_bittlebits_key_fails_readiness():
    sim = BittlebitsSimulator().start()
    client = BittlebitsClient("bb-wrong-key", sim.url)
    provider = BittlebitsProvider(client)
    try:
        with pytest.raises(BittlebitsError):
            client.result("score", url_id=1)
        assert provider.key_problem().startswith(
            "Bittlebits refuses BITTLEBITS_API_KEY (UNAUTHORIZED, HTTP 401"
        )
    finally:
        client.close()
        sim.stop()


# --- Socket Mode (N19) -----------------------------------------------------------------------


@pytest.fixture
def slack():
    standin = SlackStandIn().start()
    yield standin
    standin.stop()


def test_socket_mode_down_for_a_minute_with_the_app_token_refused_fails_readiness(slack):
    web = WebClient(token=BOT_TOKEN, base_url=slack.api_url)
    client = SocketModeClient(APP_TOKEN, web_client=web, ping_interval=0.2)
    clock = Clock()
    watch = SocketWatch(client, clock=clock)
    try:
        client.connect()
        wait_for(slack.socket_mode.connected)
        assert watch.problem() is None
        refusals = slack.inject(method="apps.connections.open", error="invalid_auth", times=10**6)
        slack.socket_mode.drop_all()
        wait_for(lambda: not client.is_connected())
        wait_for(lambda: slack.calls_to("apps.connections.open")[1:])  # a reconnect, refused
        clock.now += 60
        assert watch.problem() is None  # a routine reconnect takes less than the grace
        clock.now += 15
        # the client hears the refusal a moment after the stand-in recorded the call
        assert wait_for(lambda: "refused" in (watch.problem() or ""))
        assert watch.problem() == (
            "Slack Socket Mode disconnected for 75s: apps.connections.open refused "
            "SLACK_APP_TOKEN (invalid_auth), so no command or event reaches the bot; make a "
            "new app-level token with connections:write (Basic Information → App-Level "
            "Tokens), check Socket Mode is on, and restart"
        )
        refusals.times = 0  # the token works again: the client reconnects by itself
        wait_for(client.is_connected, timeout=10)
        assert watch.problem() is None
    finally:
        client.close()


# --- the real process ------------------------------------------------------------------------


def test_a_real_bot_says_why_it_is_not_ready_and_logs_json_without_secrets(tmp_path, slack):
    sim = Simulator("the-right-key", time_scale=100).start()
    wrong_key = "bs-wrong-key-77aa"
    bot = BotProcess(
        slack_api_url=slack.api_url,
        bitscale_url=sim.url,
        bitscale_key=wrong_key,
        db_path=tmp_path / "bot.db",
        socket_mode=True,
        extra_env={"LOG_FORMAT": "json", "LOG_LEVEL": "info"},
    )
    try:
        bot.start()
        url = f"http://127.0.0.1:{bot.port}/readyz"
        answer = wait_for(lambda: (r := httpx.get(url, timeout=10)).status_code == 503 and r)
        assert answer.text.startswith("BitScale refuses BITSCALE_API_KEY (INVALID_API_KEY")
        assert len(answer.text.splitlines()) == 1
        os.chmod(tmp_path / "bot.db", 0o444)
        lines = httpx.get(url, timeout=10).text.splitlines()
        assert "database file is read-only; make it writable (chmod u+w) and restart" in lines
        assert str(tmp_path) not in "\n".join(lines)  # N22: the path is for the log only
        assert httpx.get(f"http://127.0.0.1:{bot.port}/healthz", timeout=10).status_code == 503
        os.chmod(tmp_path / "bot.db", 0o600)
        assert bot.terminate() == 0
        log = bot.log_path.read_text()
        # every line is a JSON object but the one the bot prints to stdout for the host
        lines = [line for line in log.splitlines() if not line.startswith("bitscale-bot ")]
        not_json = [line for line in lines if line.strip() and not line.startswith("{")]
        assert not_json == []
        entries = [json.loads(line) for line in lines]
        assert any("not ready" in e["message"] for e in entries)
        assert any(str(tmp_path) in e["message"] for e in entries)  # the log has the path
        assert wrong_key not in log and APP_TOKEN not in log and BOT_TOKEN not in log
    finally:
        bot.kill()
        sim.stop()


def test_a_check_that_needs_a_failing_one_is_not_asked():
    from bot.readiness import Readiness

    asked: list[str] = []
    ready = Readiness()
    ready.add("owed-to-slack", lambda: asked.append("owed") or None, needs="database")
    ready.add("database", lambda: "database unreachable (connection refused)")
    assert ready() == (False, "database unreachable (connection refused)")
    assert asked == []  # an outage is one line at once, not a probe waiting on the pool
