"""Settings, read from the environment and an optional `.env` file.

The environment variable names are public interface: admins' deploy scripts set them.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

_USER_ID = re.compile(r"[UW][A-Z0-9]+")
# Public and private channels (C…, G… for old private ones); alerts never go to a DM.
_CHANNEL_ID = re.compile(r"[CG][A-Z0-9]{1,30}")


def _var(name: str, default: object, meaning: str, **limits: Any) -> Any:
    """A setting read from the environment variable `name`. `meaning` is its line in
    `bitscale-bot start --help`, so the help cannot drift from the settings."""
    if default is dict:
        return Field(default_factory=dict, validation_alias=name, description=meaning, **limits)
    return Field(default, validation_alias=name, description=meaning, **limits)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    slack_bot_token: SecretStr | None = _var(
        "SLACK_BOT_TOKEN", None, "bot token (xoxb-…) from the app's OAuth & Permissions page"
    )
    slack_signing_secret: SecretStr | None = _var(
        "SLACK_SIGNING_SECRET",
        None,
        "signing secret (Basic Information), checks every request in HTTP mode",
    )
    slack_app_token: SecretStr | None = _var(
        "SLACK_APP_TOKEN",
        None,
        "app-level token (xapp-…) with connections:write; set = Socket Mode",
    )
    slack_api_url: str = _var(
        "SLACK_API_URL", "https://slack.com/api/", "Slack Web API base URL (a proxy or a stand-in)"
    )
    bitscale_api_key: SecretStr | None = _var(
        "BITSCALE_API_KEY",
        None,
        "BitScale workspace API key (BitScale → Settings → Accounts → API Keys)",
    )
    bitscale_api_url: str = _var(
        "BITSCALE_API_URL", "https://api.bitscale.ai/api/v1", "BitScale API base URL"
    )
    bittlebits_api_key: SecretStr | None = _var(
        "BITTLEBITS_API_KEY", None, "Bittlebits API key; turns on /bitscale score and rewrite"
    )
    bittlebits_api_url: str = _var(
        "BITTLEBITS_API_URL", "https://bittlebits.ai/api", "Bittlebits API base URL"
    )
    database_path: str = _var(
        "DATABASE_PATH", "./bitscale-bot.db", "the SQLite file; keep it on a persistent disk"
    )
    database_url: SecretStr | None = _var(
        "DATABASE_URL",
        None,
        "postgresql://user:password@host:5432/db: PostgreSQL instead of DATABASE_PATH, "
        "for several processes",
    )
    host: str = _var(
        "HOST", "0.0.0.0", "address to listen on (127.0.0.1: this machine only)", min_length=1
    )
    port: int = _var(
        "PORT",
        3000,
        "port for GET /healthz, and for Slack's requests in HTTP mode",
        ge=1,
        le=65535,
    )
    credit_alert_channel: str | None = _var(
        "CREDIT_ALERT_CHANNEL", None, "channel ID (C…) for low-credit alerts; unset = no alerts"
    )
    credit_alert_threshold: int = _var(
        "CREDIT_ALERT_THRESHOLD", 1000, "alert when the credits left fall below this", ge=0
    )
    result_reuse_days: float = _var(
        "RESULT_REUSE_DAYS",
        30,
        "days a stored result answers the same question for free; 0 = off",
        ge=0,
    )
    result_reuse_grid_days: Annotated[dict[str, float], NoDecode] = _var(
        "RESULT_REUSE_GRID_DAYS",
        dict,
        "per-grid windows, 'Grid name or id=days; …' (0 = never reuse it)",
    )
    # Never fewer days than 35 nor than a grid's reuse window; unfinished runs are never
    # deleted (retention.py).
    run_retention_days: float = _var(
        "RUN_RETENTION_DAYS",
        90,
        "days finished runs are kept, then deleted with old caches; 0 = keep for ever",
        ge=0,
    )
    # Workspace owners and admins count too (policy.py).
    bot_admins: str = _var(
        "BITSCALE_BOT_ADMINS", "", "comma-separated Slack user IDs of the bot's admins"
    )

    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = _var(
        "LOG_LEVEL", "INFO", "DEBUG, INFO, WARNING or ERROR"
    )
    log_format: Literal["text", "json"] = _var(
        "LOG_FORMAT", "text", "text (one line a record) or json (one object a line)"
    )

    # Tuning knobs with safe defaults; not part of the pinned interface.
    bitscale_rate_limit: int = _var(
        "BITSCALE_RATE_LIMIT", 5, "requests per second your BitScale workspace allows", ge=1
    )
    run_expiry_minutes: float = _var(
        "RUN_EXPIRY_MINUTES", 30, "minutes after which an unfinished run is given up", gt=0
    )
    credit_check_minutes: float = _var(
        "CREDIT_CHECK_MINUTES", 10, "minutes between two reads of the credits left", gt=0
    )
    # auto: async unless the grid's recent runs finish well inside the drain (timings.py).
    run_mode: Literal["auto", "sync", "async"] = _var(
        "BITSCALE_RUN_MODE", "auto", "auto (per grid), sync or async"
    )
    # Hosts kill a process about 30 s after SIGTERM.
    shutdown_drain_seconds: float = _var(
        "SHUTDOWN_DRAIN_SECONDS",
        25,
        "on SIGTERM, seconds runs in flight get to finish (under the host's ~30)",
        ge=0,
        le=600,
    )
    # BitScale asks for 2-5 s between polls; the longest gap is 2.5x this.
    poll_seconds: float = _var(
        "BITSCALE_POLL_SECONDS", 2, "shortest gap between two status polls of one run", gt=0, le=60
    )
    tick_seconds: float = _var(
        "SCHEDULER_TICK_SECONDS",
        1,
        "how often the scheduler looks for due submissions, polls and posts",
        gt=0,
        le=10,
    )
    submit_concurrency: int = _var(
        "SUBMIT_CONCURRENCY", 192, "runs waiting on BitScale at once", ge=1
    )
    # BATCH_MAX_ROWS is named in the issue: keep it.
    reaction_emoji: str = _var(
        "REACTION_EMOJI", "mag", "reaction that enriches a message's leads (name, no colons)"
    )
    batch_max_rows: int = _var("BATCH_MAX_ROWS", 10_000, "rows a batch file may have", ge=1)
    batch_max_file_mb: float = _var("BATCH_MAX_FILE_MB", 50, "largest batch file, in MB", gt=0)
    batch_run_mode: Literal["sync", "async"] = _var(
        "BATCH_RUN_MODE",
        "async",
        "how batch rows are sent (async: a restart finds every row's result)",
    )
    batch_progress_seconds: float = _var(
        "BATCH_PROGRESS_SECONDS", 5, "how often a batch's progress message is edited", gt=0
    )
    database_pool_size: int = _var(
        "DATABASE_POOL_SIZE", 10, "PostgreSQL connections each process may hold", ge=1, le=100
    )
    watch_tick_seconds: float = _var(
        "WATCH_TICK_SECONDS",
        5,
        "how often due watches are looked for (a firing starts at most this late, plus a tick)",
        gt=0,
        le=30,
    )

    @field_validator("log_level", "log_format", mode="before")
    @classmethod
    def _any_case(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        value = value.strip()
        return value.lower() if value.lower() in ("text", "json") else value.upper()

    @field_validator("slack_api_url", "bitscale_api_url", "bittlebits_api_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        # A typo here would otherwise surface minutes later as "could not reach BitScale".
        try:
            parts = urlsplit(value)
            scheme, host = parts.scheme, parts.hostname
        except ValueError:  # such as an unclosed [IPv6 bracket
            scheme, host = "", None
        if scheme not in ("http", "https") or not host or value.strip() != value:
            raise ValueError("expected an http:// or https:// URL with a host name")
        return value

    @field_validator("slack_api_url")
    @classmethod
    def _slack_url_ends_with_slash(cls, value: str) -> str:
        return value if value.endswith("/") else value + "/"

    @field_validator("bitscale_api_url", "bittlebits_api_url")
    @classmethod
    def _bitscale_url_without_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @field_validator(
        "credit_alert_channel",
        "slack_app_token",
        "slack_signing_secret",
        "slack_bot_token",
        "bitscale_api_key",
        "bittlebits_api_key",
        "database_url",
        mode="before",
    )
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        # A blank `.env` line or docker-compose filling an unset variable gives "": that
        # is "not set", never an empty secret (an empty signing secret would turn
        # signature checks off).
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("slack_bot_token")
    @classmethod
    def _not_an_app_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and value.get_secret_value().startswith("xapp-"):
            raise ValueError(
                "this is an app-level token (xapp-…), which belongs in SLACK_APP_TOKEN; "
                "copy the Bot User OAuth Token (xoxb-…) from OAuth & Permissions"
            )
        return value

    @field_validator("slack_app_token")
    @classmethod
    def _app_level_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith("xapp-"):
            # Never echo the value: it is often the bot token pasted in the wrong place.
            raise ValueError(
                "an app-level token starts with xapp-; generate one under Basic "
                "Information → App-Level Tokens with the connections:write scope"
            )
        return value

    @field_validator("database_url")
    @classmethod
    def _postgres_url(cls, value: SecretStr | None) -> SecretStr | None:
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

    @property
    def database_target(self) -> str:
        """What the Store opens: the PostgreSQL URL when set, else the SQLite file."""
        if self.database_url is not None:
            return self.database_url.get_secret_value()
        return self.database_path

    @field_validator("credit_alert_channel")
    @classmethod
    def _alert_channel_is_an_id(cls, value: str | None) -> str | None:
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

    @field_validator("result_reuse_grid_days", mode="before")
    @classmethod
    def _grid_days(cls, value: object) -> object:
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

    @field_validator("bot_admins")
    @classmethod
    def _admins_are_user_ids(cls, value: str) -> str:
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

    @property
    def admin_ids(self) -> tuple[str, ...]:
        ids = (part.strip().strip("<@>") for part in self.bot_admins.replace(";", ",").split(","))
        return tuple(dict.fromkeys(i for i in ids if i))

    @property
    def secret_values(self) -> list[str]:
        """Every secret the settings hold, to be blanked wherever it might be shown."""
        held = (
            self.slack_bot_token,
            self.slack_signing_secret,
            self.slack_app_token,
            self.bitscale_api_key,
            self.bittlebits_api_key,
        )
        values = [s.get_secret_value() for s in held if s is not None]
        password = urlsplit(self.database_target).password if self.database_url else None
        return values + ([password] if password else [])

    @property
    def socket_mode(self) -> bool:
        return self.slack_app_token is not None

    def missing_for_start(self, *, skip: frozenset[str] = frozenset()) -> list[str]:
        """One line per setting `start` needs and does not have. `skip`: variables already
        reported as malformed (nothing more to say about them)."""
        lines = []
        if self.slack_bot_token is None and "SLACK_BOT_TOKEN" not in skip:
            lines.append(
                "SLACK_BOT_TOKEN is not set: copy the Bot User OAuth Token from your "
                "Slack app's OAuth & Permissions page."
            )
        if self.bitscale_api_key is None and "BITSCALE_API_KEY" not in skip:
            lines.append(
                "BITSCALE_API_KEY is not set: copy it from BitScale → Settings → "
                "Accounts → API Keys."
            )
        if (
            not self.socket_mode
            and self.slack_signing_secret is None
            and not skip & {"SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN"}
        ):
            lines.append(
                "SLACK_SIGNING_SECRET is not set: HTTP mode needs it (Basic Information → "
                "Signing Secret), or set SLACK_APP_TOKEN for Socket Mode."
            )
        return lines

    def require_for_start(self) -> None:
        """Fail with one line per missing variable."""
        if lines := self.missing_for_start():
            raise SettingsError(lines)


class SettingsError(Exception):
    """Settings are missing or malformed: one line per variable, naming it, never its value."""

    def __init__(self, lines: list[str] | str) -> None:
        self.lines = [lines] if isinstance(lines, str) else list(lines)
        super().__init__("\n".join(self.lines))


def env_name(field: str) -> str:
    info = Settings.model_fields.get(field)
    alias = info.validation_alias if info is not None else None
    return alias.upper() if isinstance(alias, str) else field.upper()


def malformed_variables(exc: ValidationError) -> dict[str, str]:
    """Variable name → pydantic's reason (which never holds the value itself)."""
    bad: dict[str, str] = {}
    order = list(Settings.model_fields)
    errors = sorted(
        exc.errors(),
        key=lambda e: order.index(e["loc"][0]) if e["loc"] and e["loc"][0] in order else 0,
    )
    for error in errors:
        field = str(error["loc"][0]) if error["loc"] else "?"
        reason = error["msg"].removeprefix("Value error, ")
        bad.setdefault(env_name(field), reason)
    return bad


def load_settings(**overrides: object) -> Settings:
    """Read settings; every malformed variable is one line of the SettingsError."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        bad = malformed_variables(exc)
    raise SettingsError([f"{name} is malformed: {why}." for name, why in bad.items()])
