"""The Slack manifest creates this app as the code expects it, and asks for no more."""

from __future__ import annotations

from pathlib import Path

import yaml

from bot.slack.listeners.commands import COMMAND
from bot.slack.listeners.shortcuts import MESSAGE_SHORTCUT, SHORTCUT

MANIFEST = yaml.safe_load((Path(__file__).parents[1] / "manifest.yml").read_text())


def test_command_shortcut_and_events_match_the_code():
    features = MANIFEST["features"]
    assert [c["command"] for c in features["slash_commands"]] == [COMMAND] == ["/bitscale"]
    assert [s["callback_id"] for s in features["shortcuts"]] == [SHORTCUT, MESSAGE_SHORTCUT]
    assert features["shortcuts"][0]["type"] == "global"
    assert features["shortcuts"][0]["name"] == "Run a BitScale grid"
    assert MESSAGE_SHORTCUT == "enrich_with_bitscale"
    assert features["shortcuts"][1]["type"] == "message"
    assert features["shortcuts"][1]["name"] == "Enrich with BitScale"
    assert set(MANIFEST["settings"]["event_subscriptions"]["bot_events"]) == {
        "app_home_opened",
        "app_mention",
    }
    assert MANIFEST["settings"]["interactivity"]["is_enabled"] is True
    assert MANIFEST["settings"]["socket_mode_enabled"] is True


def test_only_the_scopes_the_bot_uses():
    assert set(MANIFEST["oauth_config"]["scopes"]["bot"]) == {
        "commands",
        "app_mentions:read",
        "chat:write",
        "im:write",
        "files:write",
        "files:read",
        "channels:history",
        "groups:history",
        "im:history",
    }


def test_procfile_runs_one_bot_process():
    procfile = (Path(__file__).parents[1] / "Procfile").read_text().strip()
    assert procfile == "web: bitscale-bot start"
