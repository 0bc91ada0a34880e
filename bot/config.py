"""Settings, read from the environment and an optional `.env` file.

The environment variable names are public interface: admins' deploy scripts set them.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class SettingsError(Exception):
    """A setting is missing or malformed; the message names the variable, never its value."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    slack_bot_token: SecretStr | None = Field(default=None, validation_alias="SLACK_BOT_TOKEN")
    slack_signing_secret: SecretStr | None = Field(
        default=None, validation_alias="SLACK_SIGNING_SECRET"
    )
    slack_app_token: SecretStr | None = Field(default=None, validation_alias="SLACK_APP_TOKEN")
    slack_api_url: str = Field(default="https://slack.com/api/", validation_alias="SLACK_API_URL")
    bitscale_api_key: SecretStr | None = Field(default=None, validation_alias="BITSCALE_API_KEY")
    bitscale_api_url: str = Field(
        default="https://api.bitscale.ai/api/v1", validation_alias="BITSCALE_API_URL"
    )
    # Optional second provider: page scores and rewrite suggestions (/bitscale score|rewrite).
    bittlebits_api_key: SecretStr | None = Field(
        default=None, validation_alias="BITTLEBITS_API_KEY"
    )
    bittlebits_api_url: str = Field(
        default="https://bittlebits.ai/api", validation_alias="BITTLEBITS_API_URL"
    )
    database_path: str = Field(default="./bitscale-bot.db", validation_alias="DATABASE_PATH")
    port: int = Field(default=3000, ge=1, le=65535, validation_alias="PORT")
    credit_alert_channel: str | None = Field(default=None, validation_alias="CREDIT_ALERT_CHANNEL")
    credit_alert_threshold: int = Field(
        default=1000, ge=0, validation_alias="CREDIT_ALERT_THRESHOLD"
    )
    # Days a stored result answers the same question again for free; 0 turns reuse off.
    result_reuse_days: float = Field(default=30, ge=0, validation_alias="RESULT_REUSE_DAYS")
    # Per-grid windows, "Grid name or id=days; …" (0 = the grid has no stable answer).
    result_reuse_grid_days: Annotated[dict[str, float], NoDecode] = Field(
        default_factory=dict, validation_alias="RESULT_REUSE_GRID_DAYS"
    )

    # Comma-separated Slack user ids; workspace owners and admins count too (policy.py).
    bot_admins: str = Field(default="", validation_alias="BITSCALE_BOT_ADMINS")

    # Tuning knobs with safe defaults; not part of the pinned interface.
    bitscale_rate_limit: int = Field(default=5, ge=1, validation_alias="BITSCALE_RATE_LIMIT")
    run_expiry_minutes: float = Field(default=30, gt=0, validation_alias="RUN_EXPIRY_MINUTES")
    credit_check_minutes: float = Field(default=10, gt=0, validation_alias="CREDIT_CHECK_MINUTES")
    # auto: async unless the grid's recent runs finish well inside the drain (timings.py).
    run_mode: Literal["auto", "sync", "async"] = Field(
        default="auto", validation_alias="BITSCALE_RUN_MODE"
    )
    # On SIGTERM, how long runs in flight get to finish; hosts kill ~30 s after SIGTERM.
    shutdown_drain_seconds: float = Field(
        default=25, ge=0, le=600, validation_alias="SHUTDOWN_DRAIN_SECONDS"
    )
    # Shortest gap between two polls of one run (BitScale asks for 2-5 s; 2.5x is the longest).
    poll_seconds: float = Field(default=2, gt=0, le=60, validation_alias="BITSCALE_POLL_SECONDS")
    # How often the scheduler looks for due work (submissions, polls, deliveries).
    tick_seconds: float = Field(default=1, gt=0, le=10, validation_alias="SCHEDULER_TICK_SECONDS")
    submit_concurrency: int = Field(default=192, ge=1, validation_alias="SUBMIT_CONCURRENCY")
    # Batches (CSV in, enriched CSV out). BATCH_MAX_ROWS is named in the issue: keep it.
    batch_max_rows: int = Field(default=10_000, ge=1, validation_alias="BATCH_MAX_ROWS")
    batch_max_file_mb: float = Field(default=50, gt=0, validation_alias="BATCH_MAX_FILE_MB")
    batch_run_mode: Literal["sync", "async"] = Field(
        default="async", validation_alias="BATCH_RUN_MODE"
    )
    batch_progress_seconds: float = Field(
        default=5, gt=0, validation_alias="BATCH_PROGRESS_SECONDS"
    )

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
        mode="before",
    )
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        # A blank `.env` line or docker-compose filling an unset variable gives "": that
        # is "not set", never an empty secret (an empty signing secret would turn
        # signature checks off).
        return None if isinstance(value, str) and not value.strip() else value

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

    @property
    def admin_ids(self) -> tuple[str, ...]:
        ids = (part.strip().strip("<@>") for part in self.bot_admins.replace(";", ",").split(","))
        return tuple(dict.fromkeys(i for i in ids if i))

    @property
    def socket_mode(self) -> bool:
        return self.slack_app_token is not None

    def require_for_start(self) -> None:
        """Fail with one line naming the first missing variable."""
        if self.slack_bot_token is None:
            raise SettingsError(
                "SLACK_BOT_TOKEN is not set: copy the Bot User OAuth Token from your "
                "Slack app's OAuth & Permissions page."
            )
        if self.bitscale_api_key is None:
            raise SettingsError(
                "BITSCALE_API_KEY is not set: copy it from BitScale → Settings → "
                "Accounts → API Keys."
            )
        if not self.socket_mode and self.slack_signing_secret is None:
            raise SettingsError(
                "SLACK_SIGNING_SECRET is not set: HTTP mode needs it (Basic Information → "
                "Signing Secret), or set SLACK_APP_TOKEN for Socket Mode."
            )


_NAMES = {
    name: (field.validation_alias or name).upper() for name, field in Settings.model_fields.items()
}


def load_settings(**overrides: object) -> Settings:
    """Read settings; turn pydantic's error into one clear line that names the variable."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else "?"
        name = _NAMES.get(field, field.upper())
        raise SettingsError(f"{name} is malformed: {first['msg']}.") from None
