"""A run as stored: its columns, its record, and the small helpers that read and write it.
No database here: database.py keeps the rows."""

from __future__ import annotations

import functools
import json
import re
import uuid
from dataclasses import dataclass, fields
from typing import Any

REF_LENGTH = 6  # of a run id's leading hex digits: a run's short reference
# `reused`: answered from a stored result (see reuse.py); nothing was sent to the provider.
FINAL_STATES = ("completed", "failed", "expired", "interrupted", "reused")
# Rows and callers from before there were several providers all ran BitScale grids.
LEGACY_PROVIDER = "bitscale"

RUN_COLUMNS: dict[str, type] = {
    "id": str,
    "dedupe_key": str,
    "provider": str,  # which provider runs it (bot/providers/)
    "target": str,  # what the provider runs: a grid id, a page URL
    "grid_id": str,  # BitScale's grid id ('' for other providers)
    "grid_name": str,  # the title people see
    "inputs": str,  # JSON object
    "output_columns": str,  # JSON list or NULL for all
    "user_id": str,
    "team_id": str,
    "channel_id": str,  # where it was asked for
    "thread_ts": str,  # the thread it was asked for in (a message shortcut, a mention)
    "source": str,  # form | shortcut | mention | workflow | …: which entry point started it
    "post_channel": str,  # where the announcement and thread live
    "message_ts": str,
    "post_thread_ts": str,  # the thread the result goes to when not message_ts's own
    "permalink": str,
    "fallback_reason": str,  # why the bot used a DM instead of the channel
    # queued → submitting → running → completed | failed | expired | interrupted;
    # or reused (answered from a stored result at once, nothing sent)
    "state": str,
    "request_id": str,  # the provider's handle to poll with
    "join_key": str,  # runs with the same key share one pending task
    "joined_to": str,  # the run whose task this one waits on
    "resubmits": int,  # times the provider dropped the task and it was sent again
    "counted_from": float,  # expiry counts from here: creation, or the end of a planned wait
    "mode": str,
    "outputs": str,  # JSON
    "error_code": str,
    "error_message": str,
    "created_at": float,
    "submit_after": float,
    "submitted_at": float,
    "finished_at": float,
    "next_poll_at": float,
    "poll_errors": int,
    "lease_until": float,
    "notify_attempted_at": float,
    "notify_next_at": float,
    "notify_attempts": int,
    "notified_at": float,
    "notify_error": str,
    "owner": str,  # the instance (bot process) that submitted it
    "late_after": str,  # a real result came after the run was given up as this state
    "progress_at": float,  # the announcement last said "still running" (bot/runs/progress.py)
    "same_failures": int,  # a failed run: how many of the grid's runs in a row failed alike
    "input_key": str,  # provider + grid + normalised inputs, hashed (reuse.py)
    "reused_from": str,  # a reused row: the run whose result it shows
    "reused_from_user": str,
    "reused_from_at": float,
    "batch_id": str,  # set for a batch's rows: the batch reports them, not one by one
    "quiet": int,  # 1: post nothing in Slack; a workflow step takes the result
    "step_execution_id": str,  # the workflow step waiting for this run
    "step_attempts": int,
    "step_next_at": float,
    "step_completed_at": float,  # set once the step was completed or failed
    "step_error": str,
    # Timing, for learned durations (timings.py) and the exposure figures in bench/:
    "request_id_at": float,  # when the request id was stored (a crash can no longer lose it)
    "running_seen_at": float,  # the last time the provider said it was still running
    "first_poll_at": float,
    "polls": int,  # status polls made
}


@dataclass
class Run:
    id: str
    grid_id: str
    grid_name: str
    inputs: dict[str, Any]
    output_columns: list[str] | None
    user_id: str
    channel_id: str | None
    state: str
    created_at: float
    dedupe_key: str | None = None
    provider: str = LEGACY_PROVIDER
    target: str | None = None  # defaults to grid_id
    team_id: str | None = None
    thread_ts: str | None = None
    source: str | None = None
    post_channel: str | None = None
    message_ts: str | None = None
    post_thread_ts: str | None = None
    permalink: str | None = None
    fallback_reason: str | None = None
    request_id: str | None = None
    join_key: str | None = None
    joined_to: str | None = None
    resubmits: int = 0
    counted_from: float | None = None
    mode: str | None = None
    outputs: dict[str, Any] | None = None
    error_code: str | None = None
    error_message: str | None = None
    submit_after: float | None = None
    submitted_at: float | None = None
    finished_at: float | None = None
    next_poll_at: float | None = None
    poll_errors: int = 0
    lease_until: float | None = None
    notify_attempted_at: float | None = None
    notify_next_at: float | None = None
    notify_attempts: int = 0
    notified_at: float | None = None
    notify_error: str | None = None
    quiet: bool = False
    step_execution_id: str | None = None
    step_attempts: int = 0
    step_next_at: float | None = None
    step_completed_at: float | None = None
    step_error: str | None = None
    owner: str | None = None
    late_after: str | None = None
    same_failures: int = 0
    progress_at: float | None = None
    input_key: str | None = None
    reused_from: str | None = None
    reused_from_user: str | None = None
    reused_from_at: float | None = None
    batch_id: str | None = None
    request_id_at: float | None = None
    running_seen_at: float | None = None
    first_poll_at: float | None = None
    polls: int = 0

    @property
    def reused(self) -> bool:
        """Answered from a stored result: no credits spent, not fresh data."""
        return self.state == "reused"

    def __post_init__(self) -> None:
        if self.target is None:
            self.target = self.grid_id

    @property
    def finished(self) -> bool:
        return self.state in FINAL_STATES

    @property
    def ref(self) -> str:
        """The short reference people see and type (`/bitscale status 7F3A2C`)."""
        return self.id[:REF_LENGTH].upper()

    @property
    def reply_ts(self) -> str | None:
        """The thread the result is posted in: the one asked for, else the announcement's."""
        return self.post_thread_ts or self.message_ts

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Run:
        data = {name: row[name] for name in _run_fields() if name in row}
        data["inputs"] = json.loads(row.get("inputs") or "{}")
        data["output_columns"] = loads_or_none(row.get("output_columns"))
        data["outputs"] = loads_or_none(row.get("outputs"))
        data["poll_errors"] = row.get("poll_errors") or 0
        data["notify_attempts"] = row.get("notify_attempts") or 0
        data["step_attempts"] = row.get("step_attempts") or 0
        data["quiet"] = bool(row.get("quiet"))
        data["resubmits"] = row.get("resubmits") or 0
        data["polls"] = row.get("polls") or 0
        data["provider"] = row.get("provider") or LEGACY_PROVIDER
        data["same_failures"] = row.get("same_failures") or 0
        return cls(**data)


@functools.cache
def _run_fields() -> tuple[str, ...]:
    """Run's field names, looked up once (rows are read by the thousand in batches)."""
    return tuple(f.name for f in fields(Run))


def loads_or_none(value: str | None) -> Any:
    return None if value is None else json.loads(value)


def dumps_or_none(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False)


_VARYING = re.compile(r"'[^']*'|\"[^\"]*\"|“[^”]*”|\d+")


def failure_shape(message: str | None) -> str:
    """A failure message without the parts that vary from row to row."""
    return _VARYING.sub("…", message or "").strip().lower()


def new_run_id() -> str:
    return uuid.uuid4().hex[:16]
