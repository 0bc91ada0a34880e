"""Settings, read from the environment and an optional `.env` file; config_checks.py holds
what each variable must look like.

The environment variable names are public interface: admins' deploy scripts set them.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot import config_checks as checks


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

    # What each variable must look like (config_checks.py); where a field has two checks,
    # they run in this order.
    _any_case = field_validator("log_level", "log_format", mode="before")(checks.any_case)
    _http_url = field_validator(
        "slack_api_url", "bitscale_api_url", "bittlebits_api_url"
    )(checks.http_url)
    _slack_url_ends_with_slash = field_validator("slack_api_url")(checks.slack_url_ends_with_slash)
    _bitscale_url_without_slash = field_validator(
        "bitscale_api_url", "bittlebits_api_url"
    )(checks.bitscale_url_without_slash)
    _blank_is_unset = field_validator(
        "credit_alert_channel", "slack_app_token", "slack_signing_secret", "slack_bot_token",
        "bitscale_api_key", "bittlebits_api_key", "database_url", mode="before"
    )(checks.blank_is_unset)
    _not_an_app_token = field_validator("slack_bot_token")(checks.not_an_app_token)
    _app_level_token = field_validator("slack_app_token")(checks.app_level_token)
    _postgres_url = field_validator("database_url")(checks.postgres_url)
    _alert_channel_is_an_id = field_validator("credit_alert_channel")(checks.alert_channel_is_an_id)
    _grid_days = field_validator("result_reuse_grid_days", mode="before")(checks.grid_days)
    _admins_are_user_ids = field_validator("bot_admins")(checks.admins_are_user_ids)

    @property
    def database_target(self) -> str:
        """What the Store opens: the PostgreSQL URL when set, else the SQLite file."""
        if self.database_url is not None:
            return self.database_url.get_secret_value()
        return self.database_path

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
