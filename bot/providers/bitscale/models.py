"""Pydantic models of every BitScale response.

Fields follow the reference's tables. Everything is optional where the reference allows
null or is unclear, and unknown fields are kept (extra="allow"), so a new field on
BitScale's side never breaks the bot.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

RUNNABLE_COLUMN_TYPES = ("enrichment", "formula", "merge")


class _Model(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


# --- GET /workspace -------------------------------------------------------------------


class Plan(_Model):
    name: str | None = None
    credits_included: int | None = None
    billing_interval: str | None = None
    next_billing_date: str | None = None
    price: float | None = None
    currency: str | None = None


class Credits(_Model):
    total: int = 0
    used: int = 0
    remaining: int = 0
    plan_credits: int | None = None
    rollover: int | None = None
    topup: int | None = None


class Searches(_Model):
    limit: int = 0
    used: int = 0
    remaining: int = 0
    next_renewal_date: str | None = None


class Members(_Model):
    total: int | None = None
    owners: int | None = None
    admins: int | None = None
    editors: int | None = None


class Workspace(_Model):
    id: str | None = None
    name: str | None = None
    created_at: str | None = None
    created_by: dict[str, Any] | None = None
    plan: Plan = Field(default_factory=Plan)
    credits: Credits = Field(default_factory=Credits)
    people_company_searches: Searches = Field(default_factory=Searches)
    members: Members = Field(default_factory=Members)


# --- GET /grids and GET /grids/:id ----------------------------------------------------


class Column(_Model):
    id: str
    name: str = ""
    type: str = ""
    dependencies: list[str] = Field(default_factory=list)

    @property
    def runnable(self) -> bool:
        return self.type in RUNNABLE_COLUMN_TYPES


class GridSummary(_Model):
    id: str
    name: str = ""
    description: str | None = ""
    row_count: int | None = None
    column_count: int | None = None
    created_at: str | None = None
    updated_at: str | None = None
    columns: list[Column] = Field(default_factory=list)


class GridPage(_Model):
    grids: list[GridSummary] = Field(default_factory=list)
    total: int = 0
    page: int = 1
    limit: int = 20
    total_pages: int = 0


class GridSettings(_Model):
    auto_run: bool | None = None
    auto_dedupe: bool | None = None
    visibility: str | None = None
    dedupe_column_id: str | None = None


class Schedule(_Model):
    cron_schedule: str | None = None
    next_run_at: str | None = None


class Source(_Model):
    id: str
    display_name: str | None = None
    type: str | None = None
    is_scheduled: bool | None = None
    status: str | None = None
    last_run_at: str | None = None
    next_run_at: str | None = None
    schedule: Schedule | None = None


class GridDetails(_Model):
    id: str
    name: str = ""
    description: str | None = ""
    row_count: int | None = None
    created_at: str | None = None
    updated_at: str | None = None
    settings: GridSettings = Field(default_factory=GridSettings)
    columns: list[Column] = Field(default_factory=list)
    sources: list[Source] = Field(default_factory=list)

    @property
    def runnable_columns(self) -> list[Column]:
        return [c for c in self.columns if c.runnable]


# --- GET /grids/:id/curl --------------------------------------------------------------


class RequestBody(_Model):
    mode: str = "sync"
    inputs: dict[str, Any] = Field(default_factory=dict)
    output_columns: list[str] | None = None


class OutputColumn(_Model):
    id: str
    name: str = ""
    type: str = ""


class RunContract(_Model):
    grid_id: str
    grid_name: str = ""
    run_url: str | None = None
    method: str = "POST"
    headers: dict[str, Any] = Field(default_factory=dict)
    request_body: RequestBody = Field(default_factory=RequestBody)
    output_columns: list[OutputColumn] | None = None
    curl: str | None = None

    @property
    def input_keys(self) -> list[str]:
        return list(self.request_body.inputs)


# --- POST /grids/:id/run and GET /run/status/:id ---------------------------------------


class Output(_Model):
    value: Any = None
    name: str = ""


RunStatusName = Literal["running", "completed", "failed"]


class RunResult(_Model):
    """The answer of a run or of a status poll: the same shape for both."""

    mode: str | None = None
    status: str = "running"
    request_id: str | None = None
    poll_url: str | None = None
    grid_id: str | None = None
    outputs: dict[str, Output] | None = None
    message: str | None = None
    error: Any = None

    @property
    def finished(self) -> bool:
        return self.status in ("completed", "failed")

    @property
    def failure_message(self) -> str:
        if self.message:
            return self.message
        if isinstance(self.error, dict) and isinstance(self.error.get("message"), str):
            return self.error["message"]
        if isinstance(self.error, str):
            return self.error
        return "BitScale reported the run as failed without a message."


# --- POST /api-key/rotate -------------------------------------------------------------


class RotatedKey(_Model):
    api_key: str

    def __repr__(self) -> str:  # the new key is a secret too
        return "RotatedKey(api_key='***')"

    __str__ = __repr__
