"""Pydantic models of Bittlebits' answers (unknown fields kept, so additions never break)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Kind = Literal["score", "rewrite"]
KINDS: tuple[Kind, ...] = ("score", "rewrite")


class _Model(BaseModel):
    model_config = ConfigDict(extra="allow")


class Submitted(_Model):
    """POST /v1/score or /v1/rewrite: the task is queued; poll with `url_id`."""

    status: str | None = None
    url_id: int
    created: bool | None = None  # True: a new URL, scraped first; False: already known


class Pending(_Model):
    """202 from a GET: queued or running."""

    status: str = "pending"
    task_id: str | None = None
    url_id: int | None = None


class Score(_Model):
    url_id: int | None = None
    metrics: dict[str, float] = Field(default_factory=dict)


class Suggestion(_Model):
    stable_id: str | None = None
    current_text: str | None = None
    suggested_text: str | None = None
    rationale: str | None = None
    is_addition: bool = False


class Rewrite(_Model):
    url_id: int | None = None
    parsed_html: str | None = None
    suggestions: list[Suggestion] = Field(default_factory=list)
