"""The HTTP face under hostile requests: signatures always on, bodies bounded, logs clean."""

from __future__ import annotations

import httpx
import pytest
from slack_sdk import WebClient

from bot.config import SettingsError, load_settings
from bot.playground.rigs.bot_process import run_bot
from bot.slack.app import build_app
from tests.store.test_config_and_store import clean_env  # noqa: F401 - fixture


@pytest.mark.parametrize("blank", ["", "   ", "\t\n"])
def test_a_blank_signing_secret_counts_as_unset(clean_env, blank):  # noqa: F811
    clean_env.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    clean_env.setenv("BITSCALE_API_KEY", "bs-1")
    clean_env.setenv("SLACK_SIGNING_SECRET", blank)
    settings = load_settings()
    assert settings.slack_signing_secret is None
    with pytest.raises(SettingsError, match="SLACK_SIGNING_SECRET"):
        settings.require_for_start()


def test_http_mode_refuses_to_start_with_a_blank_signing_secret(tmp_path):
    env = {
        "PATH": "/usr/bin:/bin",
        "SLACK_BOT_TOKEN": "xoxb-secret-token",
        "BITSCALE_API_KEY": "bs-secret-key",
        "SLACK_SIGNING_SECRET": " ",
        "DATABASE_PATH": str(tmp_path / "db"),
    }
    done = run_bot("start", env=env, cwd=tmp_path)
    assert done.returncode == 2
    assert "SLACK_SIGNING_SECRET is not set" in done.stderr and "Traceback" not in done.stderr


def test_the_app_never_runs_http_without_verification():
    client = WebClient(token="xoxb-x", base_url="http://127.0.0.1:9/")
    for blank in ("", "  "):
        with pytest.raises(ValueError, match="signing secret"):
            build_app(client, services=None, signing_secret=blank, token_verification=False)  # type: ignore[arg-type]


# --- item 2: request bodies are bounded ---------------------------------------------------


class _ExplodingInput:
    """A request body that must never be read."""

    def read(self, *args):
        raise AssertionError("the body was read")

    readline = readlines = read


def _tiny_app():
    from slack_bolt import App

    return App(
        client=WebClient(token="xoxb-x", base_url="http://127.0.0.1:9/"),
        signing_secret="s",
        token_verification_enabled=False,
    )


def test_an_oversized_body_is_refused_by_its_length_before_it_is_read():
    from bot.web import MAX_BODY_BYTES, wsgi_app

    seen = {}
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/slack/events",
        "CONTENT_LENGTH": str(MAX_BODY_BYTES + 1),
        "CONTENT_TYPE": "application/x-www-form-urlencoded",
        "wsgi.input": _ExplodingInput(),
    }
    body = wsgi_app(_tiny_app())(environ, lambda status, headers: seen.update(status=status))
    assert seen["status"].startswith("413") and b"too large" in b"".join(body)
    assert MAX_BODY_BYTES <= 1024 * 1024


def test_the_server_caps_request_bodies_even_without_a_length(stack):
    import httpx

    url = stack.driver.url
    big = b"x" * (2 * 1024 * 1024)
    answer = httpx.post(url, content=big, headers={"Content-Type": "text/plain"}, timeout=30)
    assert answer.status_code == 413

    def chunks():
        for _ in range(32):
            yield b"y" * 65536

    answer = httpx.post(url, content=chunks(), headers={"Content-Type": "text/plain"}, timeout=30)
    assert answer.status_code == 413
    assert stack.driver.command("help")[0].status_code == 200  # still serving


def test_the_server_keeps_answering_with_over_1024_open_files(tmp_path):
    # select() cannot watch descriptors past 1024; a busy bot (hundreds of BitScale
    # connections and SQLite files) reaches that, and then stops answering Slack.
    import os

    from bot.playground.rigs.stack import LocalStack

    held = [os.open(os.devnull, os.O_RDONLY) for _ in range(1100)]
    try:
        with LocalStack(str(tmp_path / "db")) as stack:
            stack.driver.http.timeout = httpx.Timeout(10.0)
            assert stack.driver.command("help")[0].status_code == 200
    finally:
        for fd in held:
            os.close(fd)


# --- item 16: a timestamp that is not a number ----------------------------------------------


def test_a_non_numeric_timestamp_is_401_not_a_traceback(stack, caplog):
    body = "command=%2Fbitscale&text=help"
    for stamp in ("abc", "", "1e9", "12.5", "-1", "0x10"):
        answer = stack.driver.send(body, timestamp=stamp, signature="v0=" + "0" * 64)
        assert answer.status_code == 401, stamp
    assert "Traceback" not in caplog.text


# --- item 9: the log never holds request bodies -------------------------------------------


def test_refused_requests_leave_no_body_and_no_forged_line_in_the_log(tmp_path):
    from bot.playground.rigs.bot_process import BotProcess
    from bot.playground.simulators.bitscale import Simulator
    from bot.playground.slack.standin import SlackStandIn

    sim, slack = Simulator("log-key").start(), SlackStandIn().start()
    bot = BotProcess(
        slack_api_url=slack.api_url,
        bitscale_url=sim.url,
        bitscale_key=sim.api_key,
        db_path=tmp_path / "bot.db",
    ).start()
    try:
        forged = "\n2026-01-01 00:00:00,000 ERROR bot.runs.service: forged line\n"
        body = ("payload=MARKER" + forged + "x" * 300_000).encode()
        for _ in range(3):
            answer = httpx.post(
                bot.url,
                content=body,
                headers={
                    "X-Slack-Request-Timestamp": "1",
                    "X-Slack-Signature": "v0=bad",
                    "Content-Type": "application/x-www-form-urlencoded",
                },
                timeout=30,
            )
            assert answer.status_code == 401
        log = bot.log_path.read_text()
        assert "MARKER" not in log and "forged line" not in log
        assert len(log) < 20_000
    finally:
        bot.kill()
        slack.stop()
        sim.stop()


def test_bolt_logs_at_warning_and_never_a_request_body():
    import logging

    from bot.slack.app import quiet_bolt_logs

    quiet_bolt_logs()
    assert logging.getLogger("slack_bolt").getEffectiveLevel() >= logging.WARNING
    record = logging.LogRecord(
        "slack_bolt.App", logging.WARNING, __file__, 1, "Unhandled request (%s)", ("BODY",), None
    )
    for kept in logging.getLogger("slack_bolt.App").filters:
        kept.filter(record)
    assert "BODY" not in record.getMessage()


def test_a_log_line_cannot_be_forged_with_a_line_break():
    import logging

    from bot.logs import OneLineFormatter

    formatter = OneLineFormatter("%(levelname)s %(name)s: %(message)s")
    record = logging.LogRecord(
        "bot.x", logging.WARNING, __file__, 1, "saw %s", ("a\nERROR bot.runs: forged\r",), None
    )
    line = formatter.format(record)
    assert "\n" not in line and "\r" not in line and "forged" in line
