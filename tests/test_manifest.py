"""The Slack manifest creates this app as the code expects it, and asks for no more."""

from __future__ import annotations

from pathlib import Path

import yaml

from bot.leads.linkedin import UNFURL_DOMAINS
from bot.slack.listeners.commands import COMMAND
from bot.slack.listeners.shortcuts import MESSAGE_SHORTCUT, SHORTCUT
from bot.slack.workflow import INPUT_NAMES, OUTPUT_NAMES, STEP_CALLBACK

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
        "function_executed",
        "link_shared",
        "reaction_added",
        "message.channels",
        "message.groups",
    }
    assert MANIFEST["settings"]["interactivity"]["is_enabled"] is True
    assert MANIFEST["settings"]["socket_mode_enabled"] is True


def test_workflow_step_matches_the_code():
    assert list(MANIFEST["functions"]) == [STEP_CALLBACK] == ["run_bitscale_grid"]
    step = MANIFEST["functions"][STEP_CALLBACK]
    assert step["title"] == "Run a BitScale grid"
    inputs, outputs = step["input_parameters"], step["output_parameters"]
    assert tuple(inputs) == INPUT_NAMES and list(inputs)[:3] == ["grid", "inputs", "channel"]
    assert [n for n, p in inputs.items() if p["is_required"]] == ["grid", "inputs"]
    assert inputs["channel"]["type"] == "slack#/types/channel_id"
    assert tuple(outputs) == OUTPUT_NAMES
    assert list(outputs) == ["status", "result_text", "result_json", "thread_link"]
    assert [n for n, p in outputs.items() if not p["is_required"]] == ["thread_link"]
    for params in (inputs, outputs):
        assert all(p["name"] == n and p["title"] for n, p in params.items())
    settings = MANIFEST["settings"]
    assert settings["org_deploy_enabled"] is True and settings["function_runtime"] == "remote"


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
        "users:read",
        "usergroups:read",
        "links:read",
        "links:write",
        "reactions:read",
    }


def test_linkedin_links_unfurl():
    assert MANIFEST["features"]["unfurl_domains"] == list(UNFURL_DOMAINS)
    assert UNFURL_DOMAINS == ("linkedin.com", "www.linkedin.com")
    assert len(UNFURL_DOMAINS) <= 5  # Slack's limit on unfurl domains


def test_procfile_migrates_in_the_release_phase_then_runs_one_bot_process():
    procfile = (Path(__file__).parents[1] / "Procfile").read_text().strip().splitlines()
    # Heroku runs `release` before new dynos take traffic: they open a migrated database.
    assert procfile == ["release: bitscale-bot migrate", "web: bitscale-bot start"]


def test_the_usage_hint_names_every_subcommand():
    """issue 23, Words: the hint lacked score, rewrite, default, usage, admin and audit,
    and still said "request id" for what is now a run's short ref."""
    import bot.slack.app  # noqa: F401 - registers every subcommand
    from bot.slack.listeners.commands import SUBCOMMANDS

    (command,) = MANIFEST["features"]["slash_commands"]
    hint = command["usage_hint"]
    words = {part.split()[0] for part in hint.split(" | ")}
    assert words == set(SUBCOMMANDS)
    assert "request id" not in hint and "status <ref>" in hint
    assert len(hint) <= 1000  # Slack's limit for a usage hint
