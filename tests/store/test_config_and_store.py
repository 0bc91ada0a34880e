from __future__ import annotations

import sqlite3

import pytest
import sqlite_utils

from bot.config import SettingsError, load_settings
from bot.store.database import Store, StoreError
from bot.store.migrate import head_revision
from tests.factories import make_run

REQUIRED = {
    "SLACK_BOT_TOKEN": "xoxb-secret-token",
    "BITSCALE_API_KEY": "bs-secret-key",
    "SLACK_SIGNING_SECRET": "signing-secret",
}


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    for name in [
        "SLACK_BOT_TOKEN",
        "SLACK_SIGNING_SECRET",
        "SLACK_APP_TOKEN",
        "SLACK_API_URL",
        "BITSCALE_API_KEY",
        "BITSCALE_API_URL",
        "DATABASE_PATH",
        "PORT",
        "CREDIT_ALERT_CHANNEL",
        "CREDIT_ALERT_THRESHOLD",
    ]:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env
    return monkeypatch


def test_defaults(clean_env):
    s = load_settings()
    assert s.slack_api_url == "https://slack.com/api/"
    assert s.bitscale_api_url == "https://api.bitscale.ai/api/v1"
    assert s.database_path == "./bitscale-bot.db" and s.port == 3000
    assert s.credit_alert_channel is None and s.credit_alert_threshold == 1000
    assert not s.socket_mode


def test_every_pinned_variable_is_read(clean_env):
    for name, value in {
        **REQUIRED,
        "SLACK_APP_TOKEN": "xapp-1",
        "SLACK_API_URL": "http://x/api",
        "BITSCALE_API_URL": "http://y/api/v1/",
        "DATABASE_PATH": "/data/b.db",
        "PORT": "8080",
        "CREDIT_ALERT_CHANNEL": "C123",
        "CREDIT_ALERT_THRESHOLD": "250",
    }.items():
        clean_env.setenv(name, value)
    s = load_settings()
    assert s.slack_bot_token.get_secret_value() == "xoxb-secret-token"
    assert s.socket_mode and s.slack_api_url == "http://x/api/"
    assert s.bitscale_api_url == "http://y/api/v1" and s.database_path == "/data/b.db"
    assert s.port == 8080 and s.credit_alert_channel == "C123"
    assert s.credit_alert_threshold == 250
    assert "xoxb-secret-token" not in repr(s) and "bs-secret-key" not in repr(s)


def test_env_file_is_read(clean_env, tmp_path):
    (tmp_path / ".env").write_text("PORT=4000\nCREDIT_ALERT_CHANNEL=C9\n")
    s = load_settings()
    assert s.port == 4000 and s.credit_alert_channel == "C9"


@pytest.mark.parametrize(
    "name,value", [("PORT", "http"), ("CREDIT_ALERT_THRESHOLD", "-5"), ("PORT", "99999")]
)
def test_malformed_values_name_the_variable(clean_env, name, value):
    clean_env.setenv(name, value)
    with pytest.raises(SettingsError) as info:
        load_settings()
    assert str(info.value).startswith(f"{name} is malformed")


def test_http_mode_needs_the_signing_secret(clean_env):
    clean_env.setenv("SLACK_BOT_TOKEN", "x")
    clean_env.setenv("BITSCALE_API_KEY", "y")
    with pytest.raises(SettingsError, match="SLACK_SIGNING_SECRET"):
        load_settings().require_for_start()
    clean_env.setenv("SLACK_APP_TOKEN", "xapp-1")
    load_settings().require_for_start()


def test_corrupt_database_stops_start_up(tmp_path):
    path = tmp_path / "bad.db"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="cannot be read"):
        Store(path)


def test_a_database_from_before_versions_is_adopted_and_gains_what_it_lacks(tmp_path):
    path = tmp_path / "db"
    Store(path).close()
    # What an older bot left: no version stamp, and a column that came later missing.
    old = sqlite_utils.Database(sqlite3.connect(path))
    old["runs"].transform(drop={"notify_error"})
    old["runs"].insert({"id": "r1", "grid_id": "g1", "user_id": "U1", "state": "completed"})
    old.execute("DROP TABLE alembic_version")
    old.conn.commit()
    old.conn.close()
    again = Store(path)
    columns = {row["name"] for row in again.sql.query("PRAGMA table_info(runs)")}
    assert "notify_error" in columns
    assert again.get_run("r1").target == "g1"  # a grid run's target is its grid
    assert again.sql.scalar("PRAGMA journal_mode") == "wal"
    assert again.sql.scalar("SELECT version_num FROM alembic_version") == head_revision()
    again.close()
    Store(path).close()


def test_dedupe_key_is_unique(tmp_path):
    store = Store(tmp_path / "db")
    run = make_run(id="a", state="queued", dedupe_key="view:1")
    assert store.insert_run(run)[1] is True
    run.id = "b"
    existing, inserted = store.insert_run(run)
    assert not inserted and existing.id == "a"
