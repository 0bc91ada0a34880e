"""What an operator sees from `bitscale-bot`: the version, the settings in `start --help`,
help on every option, and every wrong setting named at once."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from bot import cli
from bot.config import Settings, env_name
from bot.playground.rigs.bot_process import run_bot

README = (Path(__file__).parents[1] / "README.md").read_text()


def all_parsers(parser: argparse.ArgumentParser):
    yield parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                yield from all_parsers(sub)


def test_every_option_of_every_verb_has_help():
    missing = [
        f"{parser.prog} {'/'.join(action.option_strings) or action.dest}"
        for parser in all_parsers(cli._parser())
        for action in parser._actions
        if not action.help or action.help == argparse.SUPPRESS
    ]
    assert missing == []
    verbs = {p.prog for p in all_parsers(cli._parser())}
    named = ("start", "migrate", "migrate-db", "backup", "shell", "simulate")
    assert verbs == {"bitscale-bot", *(f"bitscale-bot {v}" for v in named)}


def test_version(capsys):
    with pytest.raises(SystemExit) as done:
        cli.main(["--version"])
    assert done.value.code == 0
    out = capsys.readouterr().out.strip()
    assert out.startswith("bitscale-bot ") and out.split()[1][0].isdigit()


def test_start_help_lists_every_setting_with_its_default_and_meaning(capsys):
    with pytest.raises(SystemExit):
        cli.main(["start", "--help"])
    out = capsys.readouterr().out
    for field, info in Settings.model_fields.items():
        assert f"  {env_name(field)} (" in out
        assert info.description and info.description in out
    for line in (
        "SLACK_BOT_TOKEN (required)",
        "SLACK_SIGNING_SECRET (required in HTTP mode)",
        "SLACK_APP_TOKEN (unset)",
        "HOST (default 0.0.0.0)",
        "PORT (default 3000)",
        "BITSCALE_API_URL (default https://api.bitscale.ai/api/v1)",
        "CREDIT_ALERT_CHANNEL (unset)",
    ):
        assert f"  {line}\n" in out


def test_the_readme_names_every_setting():
    missing = [env_name(f) for f in Settings.model_fields if f"`{env_name(f)}`" not in README]
    assert missing == []


@pytest.fixture
def no_settings(monkeypatch, tmp_path):
    for field in Settings.model_fields:
        monkeypatch.delenv(env_name(field), raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env
    return monkeypatch


def test_start_names_every_wrong_setting_at_once(no_settings, capsys):
    for name, value in {
        "SLACK_BOT_TOKEN": "xoxb-secret-bot-token",
        "SLACK_APP_TOKEN": "xoxb-pasted-in-the-wrong-place",
        "SLACK_API_URL": "slack.com/api",
        "BITSCALE_API_URL": "ftp://api.bitscale.ai",
        "PORT": "http",
        "CREDIT_ALERT_THRESHOLD": "-5",
    }.items():
        no_settings.setenv(name, value)
    assert cli.main(["start"]) == 2
    err = capsys.readouterr().err
    assert err.splitlines() == [
        "bitscale-bot: SLACK_APP_TOKEN is malformed: an app-level token starts with xapp-; "
        "generate one under Basic Information → App-Level Tokens with the connections:write "
        "scope.",
        "bitscale-bot: SLACK_API_URL is malformed: expected an http:// or https:// URL with a "
        "host name.",
        "bitscale-bot: BITSCALE_API_URL is malformed: expected an http:// or https:// URL with "
        "a host name.",
        "bitscale-bot: PORT is malformed: Input should be a valid integer, unable to parse "
        "string as an integer.",
        "bitscale-bot: CREDIT_ALERT_THRESHOLD is malformed: Input should be greater than or "
        "equal to 0.",
        "bitscale-bot: BITSCALE_API_KEY is not set: copy it from BitScale → Settings → "
        "Accounts → API Keys.",
    ]
    assert "xoxb-" not in err


@pytest.mark.parametrize(
    "url", ["https://slack.com/api/", "http://127.0.0.1:9000/api", "https://proxy.corp:8443/s/"]
)
def test_good_urls_pass(no_settings, url):
    from bot.config import load_settings

    no_settings.setenv("SLACK_API_URL", url)
    no_settings.setenv("BITSCALE_API_URL", url)
    settings = load_settings()
    assert settings.slack_api_url.startswith(url.rstrip("/"))


@pytest.mark.parametrize(
    "url", ["", "api.bitscale.ai", "https://", "file:///etc/passwd", " https://x.io", "http://[::1"]
)
def test_bad_urls_are_named(no_settings, url):
    from bot.config import SettingsError, load_settings

    no_settings.setenv("BITSCALE_API_URL", url)
    with pytest.raises(SettingsError) as info:
        load_settings()
    assert info.value.lines == [
        "BITSCALE_API_URL is malformed: expected an http:// or https:// URL with a host name."
    ]


def test_a_real_start_with_nothing_set_exits_with_plain_lines(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "BITSCALE_API_KEY": "bs-secret-key"}
    done = run_bot("start", env=env, cwd=tmp_path)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert [line.split(":")[1].strip() for line in lines] == [
        "SLACK_BOT_TOKEN is not set",
        "SLACK_SIGNING_SECRET is not set",
    ]
    assert "bs-secret-key" not in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize("name", ["#sales-ops", "sales-ops", "@ana", "D0DIRECT1"])
def test_a_channel_name_for_credit_alerts_is_refused_with_the_fix(no_settings, capsys, name):
    no_settings.setenv("SLACK_BOT_TOKEN", "xoxb-secret-bot-token")
    no_settings.setenv("BITSCALE_API_KEY", "bs-secret-key")
    no_settings.setenv("SLACK_SIGNING_SECRET", "signing")
    no_settings.setenv("CREDIT_ALERT_CHANNEL", name)
    assert cli.main(["start"]) == 2
    assert capsys.readouterr().err.splitlines() == [
        f"bitscale-bot: CREDIT_ALERT_CHANNEL is malformed: {name!r} is not a channel ID (C… "
        "or G…); a channel name does not work. In Slack, open the channel, click its name: "
        "the ID is at the bottom of the About tab (and invite the bot there)."
    ]


@pytest.mark.parametrize("channel_id", ["C0123ABCD", "G01PRIVATE", " C0123ABCD "])
def test_a_channel_id_for_credit_alerts_is_accepted(no_settings, channel_id):
    from bot.config import load_settings

    no_settings.setenv("CREDIT_ALERT_CHANNEL", channel_id)
    assert load_settings().credit_alert_channel == channel_id.strip()
