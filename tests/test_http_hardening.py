"""The HTTP face under hostile requests: signatures always on, bodies bounded, logs clean."""

from __future__ import annotations

import subprocess
import sys

import pytest
from slack_sdk import WebClient

from bot.config import SettingsError, load_settings
from bot.slack.app import build_app
from tests.test_config_and_store import clean_env  # noqa: F401 - fixture


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
    done = subprocess.run(
        [sys.executable, "-m", "bot", "start"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert done.returncode == 2
    assert "SLACK_SIGNING_SECRET is not set" in done.stderr and "Traceback" not in done.stderr


def test_the_app_never_runs_http_without_verification():
    client = WebClient(token="xoxb-x", base_url="http://127.0.0.1:9/")
    for blank in ("", "  "):
        with pytest.raises(ValueError, match="signing secret"):
            build_app(client, services=None, signing_secret=blank, token_verification=False)  # type: ignore[arg-type]
