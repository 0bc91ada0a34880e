"""The settings `bitscale-bot start` needs: everything wrong named at once, and the list
`start --help` shows, both read from the Settings model so neither can drift from it."""

from __future__ import annotations

from pydantic import ValidationError

from bot.config import Settings, SettingsError, env_name, malformed_variables

# What `start --help` says instead of a default.
REQUIRED_FOR_START = {
    "SLACK_BOT_TOKEN": "required",
    "BITSCALE_API_KEY": "required",
    "SLACK_SIGNING_SECRET": "required in HTTP mode",
}


def settings_for_start(**overrides: object) -> Settings:
    """Settings `start` can run with, or a SettingsError naming everything wrong at once:
    each malformed variable, then each missing one (judged with the malformed ones set
    back to their defaults), so an admin fixes them all in one go."""
    try:
        settings, bad = Settings(**overrides), {}
    except ValidationError as exc:
        bad = malformed_variables(exc)
        defaults = {
            env_name(f): info.get_default(call_default_factory=True)
            for f, info in Settings.model_fields.items()
            if env_name(f) in bad
        }
        settings = Settings(**{**overrides, **defaults})
    lines = [f"{name} is malformed: {why}." for name, why in bad.items()]
    lines += settings.missing_for_start(skip=frozenset(bad))
    if lines:
        raise SettingsError(lines)
    return settings


def settings_help() -> str:
    """Every setting `start` reads: its variable, its default and what it means."""
    lines = ["settings (environment variables, or a .env file in the working directory):"]
    for field, info in Settings.model_fields.items():
        name = env_name(field)
        default = info.get_default(call_default_factory=True)
        shown = REQUIRED_FOR_START.get(name) or (
            f"default {default}" if default not in (None, "", {}) else "unset"
        )
        lines += [f"  {name} ({shown})", f"      {info.description}"]
    return "\n".join(lines)
