"""What each setting must look like, as the Settings model (config.py) checks it: plain
functions of the value, raising ValueError with the fix. A secret's value is never put in
the error; pydantic adds the variable's name.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from pydantic import SecretStr

_USER_ID = re.compile(r"[UW][A-Z0-9]+")
# Public and private channels (C…, G… for old private ones); alerts never go to a DM.
_CHANNEL_ID = re.compile(r"[CG][A-Z0-9]{1,30}")


def any_case(value: object) -> object:
    if not isinstance(value, str):
        return value
    value = value.strip()
    return value.lower() if value.lower() in ("text", "json") else value.upper()


def http_url(value: str) -> str:
    # A typo here would otherwise surface minutes later as "could not reach BitScale".
    try:
        parts = urlsplit(value)
        scheme, host = parts.scheme, parts.hostname
    except ValueError:  # such as an unclosed [IPv6 bracket
        scheme, host = "", None
    if scheme not in ("http", "https") or not host or value.strip() != value:
        raise ValueError("expected an http:// or https:// URL with a host name")
    return value


def slack_url_ends_with_slash(value: str) -> str:
    return value if value.endswith("/") else value + "/"


def bitscale_url_without_slash(value: str) -> str:
    return value.rstrip("/")


def blank_is_unset(value: object) -> object:
    # A blank `.env` line or docker-compose filling an unset variable gives "": that
    # is "not set", never an empty secret (an empty signing secret would turn
    # signature checks off).
    return None if isinstance(value, str) and not value.strip() else value


def not_an_app_token(value: SecretStr | None) -> SecretStr | None:
    if value is not None and value.get_secret_value().startswith("xapp-"):
        raise ValueError(
            "this is an app-level token (xapp-…), which belongs in SLACK_APP_TOKEN; "
            "copy the Bot User OAuth Token (xoxb-…) from OAuth & Permissions"
        )
    return value


def app_level_token(value: SecretStr | None) -> SecretStr | None:
    if value is not None and not value.get_secret_value().startswith("xapp-"):
        # Never echo the value: it is often the bot token pasted in the wrong place.
        raise ValueError(
            "an app-level token starts with xapp-; generate one under Basic "
            "Information → App-Level Tokens with the connections:write scope"
        )
    return value


def postgres_url(value: SecretStr | None) -> SecretStr | None:
    # Never echoed: the URL usually carries the database password.
    if value is None:
        return value
    try:
        parts = urlsplit(value.get_secret_value().strip())
        scheme, host = parts.scheme, parts.hostname
    except ValueError:
        scheme, host = "", None
    if scheme not in ("postgresql", "postgres", "postgresql+psycopg") or not host:
        raise ValueError(
            "expected postgresql://user:password@host:5432/database (or postgres://, "
            "as host add-ons write it); leave it unset to use SQLite at DATABASE_PATH"
        )
    return SecretStr(value.get_secret_value().strip())


def alert_channel_is_an_id(value: str | None) -> str | None:
    # A name is accepted by nothing in Slack's API that posts: every alert would fail
    # later with channel_not_found, so it is refused at start with the fix.
    if value is None or _CHANNEL_ID.fullmatch(value.strip()):
        return value.strip() if value else value
    shown = repr(value.strip()[:40])
    raise ValueError(
        f"{shown} is not a channel ID (C… or G…); a channel name does not work. In "
        "Slack, open the channel, click its name: the ID is at the bottom of the About "
        "tab (and invite the bot there)"
    )


def grid_days(value: object) -> object:
    """`Job Changes=0; Funding Rounds=7` → {"job changes": 0, "funding rounds": 7}."""
    if not isinstance(value, str):
        return value
    windows: dict[str, float] = {}
    for part in value.replace("\n", ";").split(";"):
        if not part.strip():
            continue
        grid, sep, days = part.rpartition("=")
        try:
            number = float(days)
        except ValueError:
            number = -1.0
        if not sep or not grid.strip() or number < 0:
            raise ValueError(
                "expected 'grid name or id=days; …' with days 0 or more, "
                f"got {part.strip()!r}"
            )
        windows[grid.strip().lower()] = number
    return windows


def admins_are_user_ids(value: str) -> str:
    # A name ('ana', '@ana') never matches anyone: the admin would be refused and told
    # to ask herself. Slack user IDs are U… or W….
    parts = (p.strip() for p in value.replace(";", ",").split(","))
    names = [p for p in parts if p and not _USER_ID.fullmatch(p.strip("<@>"))]
    if names:
        shown = ", ".join(repr(n[:40]) for n in names[:5])
        what = "is not a Slack user ID" if len(names) == 1 else "are not Slack user IDs"
        raise ValueError(
            f"{shown} {what} (U… or W…); in Slack, open the person's profile → ⋮ → "
            "Copy member ID"
        )
    return value
