"""`bitscale-bot start` as a real process: what the operator sees when the port is taken,
the app-level token is refused or the BitScale key is wrong, and /healthz in Socket Mode."""

from __future__ import annotations

import os
import signal
import socket
import subprocess

import httpx
import pytest

from bot.playground.rigs.bot_process import BotProcess, free_port, run_bot
from bot.playground.rigs.stack import APP_TOKEN, BOT_TOKEN, SIGNING_SECRET
from bot.playground.simulators.bitscale import Simulator
from bot.playground.slack.records import wait_for
from bot.playground.slack.standin import SlackStandIn


@pytest.fixture
def slack():
    standin = SlackStandIn().start()
    yield standin
    standin.stop()


def start(tmp_path, slack, **env: str) -> subprocess.CompletedProcess:
    """`bitscale-bot start` with the given settings, expected to give up at once."""
    full = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "BITSCALE_"))},
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack.api_url,
        "BITSCALE_API_KEY": "bs-start-up-key",
        "BITSCALE_API_URL": "http://127.0.0.1:9/api/v1",
        "DATABASE_PATH": str(tmp_path / "bot.db"),
        "HOST": "127.0.0.1",
        **env,
    }
    return run_bot("start", env=full, cwd=tmp_path)


def said(done: subprocess.CompletedProcess) -> list[str]:
    """What the operator is told: the lines the bot prints itself."""
    assert "Traceback" not in done.stderr + done.stdout
    return [line for line in done.stderr.splitlines() if line.startswith("bitscale-bot: ")]


def test_a_port_in_use_is_one_line(tmp_path, slack):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = start(tmp_path, slack, PORT=str(port))
    assert done.returncode == 2
    assert said(done) == [
        f"bitscale-bot: PORT {port} is already in use on HOST 127.0.0.1: stop whatever holds "
        "it (another bitscale-bot?) or set PORT to a free port."
    ]
    # The database lock was let go: the next start is not refused as a second bot.
    assert "already running" not in done.stderr


def test_a_refused_app_token_is_one_line(tmp_path, slack):
    slack.inject(method="apps.connections.open", error="invalid_auth")
    done = start(tmp_path, slack, SLACK_APP_TOKEN=APP_TOKEN, PORT=str(free_port()))
    assert done.returncode == 2
    assert said(done) == [
        "bitscale-bot: Slack refused SLACK_APP_TOKEN (invalid_auth). Generate an app-level "
        "token with connections:write under Basic Information → App-Level Tokens, and check "
        "Socket Mode is on (Settings → Socket Mode)."
    ]
    assert "Failed to retrieve WSS URL" not in done.stderr
    assert APP_TOKEN not in done.stderr + done.stdout


def test_an_app_token_that_is_not_xapp_is_named_before_anything_starts(tmp_path, slack):
    done = start(tmp_path, slack, SLACK_APP_TOKEN=BOT_TOKEN)
    assert done.returncode == 2
    assert said(done) == [
        "bitscale-bot: SLACK_APP_TOKEN is malformed: an app-level token starts with xapp-; "
        "generate one under Basic Information → App-Level Tokens with the connections:write "
        "scope."
    ]
    assert slack.calls_to("auth.test") == [] and BOT_TOKEN not in done.stderr


def test_slack_out_of_reach_is_one_line_without_the_retries_before_it(tmp_path, slack):
    done = start(tmp_path, slack, SLACK_API_URL="http://127.0.0.1:9/api/", PORT=str(free_port()))
    assert done.returncode == 2
    assert said(done) == [
        "bitscale-bot: could not reach Slack at http://127.0.0.1:9/api/ to check "
        "SLACK_BOT_TOKEN ([Errno 111] Connection refused). Check the network or SLACK_API_URL."
    ]
    assert "slack_sdk" not in done.stderr  # no retry lines from the library before it


# invalid_auth is covered in test_faults.py
@pytest.mark.parametrize("refusal", ["not_allowed_token_type"])
def test_a_refused_bot_token_is_one_line(tmp_path, slack, refusal):
    slack.inject(method="auth.test", error=refusal)
    done = start(tmp_path, slack, PORT=str(free_port()))
    assert done.returncode == 2
    assert said(done) == [
        f"bitscale-bot: Slack rejected SLACK_BOT_TOKEN ({refusal}). Copy the Bot User OAuth "
        "Token (xoxb-…) again from the app's OAuth & Permissions page."
    ]
    assert BOT_TOKEN not in done.stderr + done.stdout


def test_tokens_swapped_are_both_named(tmp_path, slack):
    done = start(tmp_path, slack, SLACK_BOT_TOKEN=APP_TOKEN, SLACK_APP_TOKEN=BOT_TOKEN)
    assert done.returncode == 2
    assert [line.split(" is malformed: ")[0] for line in said(done)] == [
        "bitscale-bot: SLACK_BOT_TOKEN",
        "bitscale-bot: SLACK_APP_TOKEN",
    ]
    assert "belongs in SLACK_APP_TOKEN" in said(done)[0]
    assert APP_TOKEN not in done.stderr and BOT_TOKEN not in done.stderr


def test_socket_mode_answers_healthz_on_port_and_a_wrong_key_is_told_to_the_operator(
    tmp_path, slack
):
    sim = Simulator("the-right-key").start()
    wrong_key = "bs-wrong-key-4f1c"
    bot = BotProcess(
        slack_api_url=slack.api_url,
        bitscale_url=sim.url,
        bitscale_key=wrong_key,
        db_path=tmp_path / "bot.db",
        socket_mode=True,
    )
    try:
        bot.start()  # ready when GET /healthz answers 200 on PORT
        base = f"http://127.0.0.1:{bot.port}"
        health = httpx.get(f"{base}/healthz", timeout=10)
        assert (health.status_code, health.text) == (200, "ok\n")
        assert httpx.post(f"{base}/slack/events", timeout=10).status_code == 404
        assert wait_for(lambda: slack.socket_mode.live_links())

        line = (
            "BitScale refused BITSCALE_API_KEY (INVALID_API_KEY, HTTP 401: Missing or invalid "
            "X-API-KEY header.). Copy a key from BitScale → Settings → Accounts → API Keys (an "
            "Enterprise feature) into BITSCALE_API_KEY and restart; until then every run fails."
        )
        wait_for(lambda: line in bot.log_path.read_text(), timeout=30)
        log = bot.log_path.read_text()
        assert "ask an admin" not in log.lower()  # not a sentence meant for a rep
        assert wrong_key not in log and "the-right-key" not in log

        os.remove(tmp_path / "bot.db")  # health follows the database in Socket Mode too
        gone = httpx.get(f"{base}/healthz", timeout=10)
        assert gone.status_code == 503 and gone.text.startswith("database ")
        assert bot.terminate() == 0
    finally:
        bot.kill()
        sim.stop()


def test_http_mode_healthz_follows_the_database(tmp_path, slack):
    sim = Simulator("http-key").start()
    bot = BotProcess(
        slack_api_url=slack.api_url,
        bitscale_url=sim.url,
        bitscale_key=sim.api_key,
        db_path=tmp_path / "bot.db",
    )
    try:
        bot.start()
        url = f"http://127.0.0.1:{bot.port}/healthz"
        assert httpx.get(url, timeout=10).text == "ok\n"
        os.chmod(tmp_path / "bot.db", 0o444)
        answer = httpx.get(url, timeout=10)
        assert answer.status_code == 503
        assert answer.text == (
            "database file is read-only; make it writable (chmod u+w) and restart\n"
        )
        assert str(tmp_path) not in answer.text  # the path is for the log only
        os.chmod(tmp_path / "bot.db", 0o600)
        assert httpx.get(url, timeout=10).status_code == 200
        bot.proc.send_signal(signal.SIGTERM)
        assert bot.proc.wait(30) == 0
    finally:
        bot.kill()
        sim.stop()
