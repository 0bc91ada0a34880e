"""The log an operator reads or ships: LOG_LEVEL, LOG_FORMAT=json (one object a line), and
secrets blanked in both formats, tracebacks included."""

from __future__ import annotations

import json
import logging

import pytest

from bot.logs import JsonFormatter, OneLineFormatter, Secrets, configure_logging

BOT_TOKEN = "xoxb-1234-5678-abcdefSECRET"
API_KEY = "bs-live-7f3a9c2e11"


def record(msg: str, *args: object, exc: bool = False) -> logging.LogRecord:
    info = None
    if exc:
        try:
            raise RuntimeError(f"upstream said no to key {API_KEY}")
        except RuntimeError:
            import sys

            info = sys.exc_info()
    return logging.LogRecord("bot.runs", logging.WARNING, __file__, 1, msg, args, info)


@pytest.fixture
def secrets():
    held = Secrets()
    held.add(API_KEY, "tiny")  # too short to blank safely: ignored
    return held


@pytest.mark.parametrize("kind", ["text", "json"])
@pytest.mark.parametrize(
    ("message", "gone"),
    [
        (f"calling with {API_KEY}", API_KEY),
        (f"slack said invalid_auth for {BOT_TOKEN}", BOT_TOKEN),
        ("socket: xapp-1-A0B1C2-123456-deadbeef refused", "xapp-1-A0B1C2-123456-deadbeef"),
        ("headers {'Authorization': 'Bearer sk-abcdef123456'}", "sk-abcdef123456"),
        ("connect postgresql://bot:hunter2secret@db.internal/bot failed", "hunter2secret"),
    ],
)
def test_secrets_are_blanked_in_both_formats(secrets, kind, message, gone):
    formatter = JsonFormatter(secrets) if kind == "json" else OneLineFormatter(secrets=secrets)
    line = formatter.format(record("%s", message))
    assert gone not in line and "***" in line
    if kind == "json":
        assert "***" in json.loads(line)["message"]


def test_a_database_url_keeps_its_user_name(secrets):
    line = OneLineFormatter(secrets=secrets).format(
        record("no answer from postgres://bot:pw12345678@db:5432/bot")
    )
    assert "postgres://bot:***@db:5432/bot" in line


@pytest.mark.parametrize("kind", ["text", "json"])
def test_a_traceback_is_blanked_too(secrets, kind):
    formatter = JsonFormatter(secrets) if kind == "json" else OneLineFormatter(secrets=secrets)
    line = formatter.format(record("poll failed", exc=True))
    assert API_KEY not in line and "RuntimeError: upstream said no to key ***" in line


def test_json_is_one_object_a_line_with_the_fields_aggregators_read(secrets):
    line = JsonFormatter(secrets).format(record("run %s\nfinished", "r1", exc=True))
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["level"] == "WARNING" and entry["logger"] == "bot.runs"
    assert entry["message"] == "run r1\nfinished"
    assert entry["time"].endswith("+00:00") and "Traceback" in entry["exception"]


def test_keys_added_later_are_blanked_from_then_on():
    held, rotated = Secrets(), set()
    held.follow(rotated)
    rotated.add("bs-rotated-key-99")
    assert held.redact("new key bs-rotated-key-99") == "new key ***"


@pytest.fixture
def restore_logging():
    import sys
    import threading

    root = logging.getLogger()
    before = root.level, list(root.handlers), sys.excepthook, threading.excepthook
    yield
    root.setLevel(before[0])
    root.handlers[:] = before[1]
    sys.excepthook, threading.excepthook = before[2], before[3]
    logging.captureWarnings(False)


def test_log_level_and_format_apply_to_every_logger(restore_logging, capsys):
    configure_logging("WARNING", "json", secrets=[API_KEY])
    logging.getLogger("bot.anything").info("not shown")
    logging.getLogger("slack_sdk.web").warning("request with %s", API_KEY)
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1
    assert json.loads(lines[0])["message"] == "request with ***"


def test_warnings_and_uncaught_thread_errors_come_out_in_the_chosen_format(
    restore_logging, capsys
):
    import threading
    import warnings

    hooks = threading.excepthook
    try:
        configure_logging("INFO", "json", secrets=[API_KEY])
        warnings.warn(f"deprecated call with {API_KEY}", UserWarning, stacklevel=1)
        worker = threading.Thread(target=lambda: 1 / 0, name="poller-1")
        worker.start()
        worker.join()
    finally:
        threading.excepthook = hooks
        logging.captureWarnings(False)
    entries = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert "deprecated call with ***" in entries[0]["message"]
    assert entries[1]["message"] == "uncaught exception in thread poller-1"
    assert "ZeroDivisionError" in entries[1]["exception"]


def test_the_database_password_is_a_secret_even_outside_its_url():
    from bot.config import Settings

    settings = Settings(_env_file=None, DATABASE_URL="postgres://bot:pw-0123456789@db:5432/bot")
    assert "pw-0123456789" in settings.secret_values
    assert settings.database_target.startswith("postgres://")
    held = Secrets()
    held.add(*settings.secret_values)
    line = OneLineFormatter(secrets=held).format(record("auth pw-0123456789 refused"))
    assert "pw-0123456789" not in line
    assert "pw-0123456789" not in repr(settings)  # a SecretStr, never printed
