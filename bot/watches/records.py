"""A watch, one of its rows and one of its firings, as the code holds them, and how each
maps to its table's columns (the tables themselves: bot/store/migrations/baseline.py).

A watch: awaiting_approval → active ⇄ paused; denied; deleted (kept for the audit's links).
A firing: starting → running → digested → attaching (its digest posted, its table owed)
→ done; or skipped (it did not start). A firing is
one (watch, scheduled time): `missed` counts earlier slots it catches up for.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from typing import Any

from bot.watches.schedule import Schedule

LIVE_STATES = ("awaiting_approval", "active", "paused")
IN_FLIGHT = ("starting", "running", "digested")


@dataclass
class Watch:
    id: str
    owner: str
    grid_id: str
    grid_name: str
    input_keys: list[str]  # the grid inputs each row gives (JSON in the table)
    outputs: list[dict[str, str]]  # [{"id", "name"}] compared at each firing
    schedule: Schedule  # JSON, see Schedule.to_json
    state: str
    created_at: float
    channel_id: str | None = None  # None: Only me (digests by DM)
    only_changes: int = 0  # 1: no digest at all when nothing changed
    dedupe_key: str | None = None  # the form that made it: submitted twice, saved once
    team_id: str | None = None
    pause_code: str | None = None
    pause_reason: str | None = None
    rows: int = 0
    cost_per_row: float | None = None  # credits, estimated when saved; None when unknown
    next_at: float | None = None
    last_firing_id: str | None = None
    last_result: str | None = None  # a short line for the list and the Home tab
    last_at: float | None = None
    thread_channel: str | None = None
    thread_ts: str | None = None
    updated_at: float | None = None

    @property
    def monthly_credits(self) -> float | None:
        if self.cost_per_row is None:
            return None
        return self.rows * self.cost_per_row * self.schedule.per_month

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Watch:
        data = {f.name: row.get(f.name) for f in fields(cls)}
        data["input_keys"] = json.loads(row["input_keys"] or "[]")
        data["outputs"] = json.loads(row["outputs"] or "[]")
        data["schedule"] = Schedule.from_json(json.loads(row["schedule"]))
        data["only_changes"] = row.get("only_changes") or 0
        data["rows"] = row.get("rows") or 0
        return cls(**data)

    def to_row(self) -> dict[str, Any]:
        row = {f.name: getattr(self, f.name) for f in fields(self)}
        row["input_keys"] = json.dumps(self.input_keys)
        row["outputs"] = json.dumps(self.outputs, ensure_ascii=False)
        row["schedule"] = json.dumps(self.schedule.to_json())
        row["only_changes"] = int(bool(self.only_changes))  # PostgreSQL takes no bool
        return row


@dataclass
class Firing:
    id: str
    watch_id: str
    scheduled_at: float
    kind: str  # scheduled | manual
    state: str
    created_at: float
    missed: int = 0  # earlier slots this one catches up for (the bot was down)
    batch_id: str | None = None
    reason: str | None = None  # why it was skipped
    started_at: float | None = None
    finished_at: float | None = None
    lease_until: float | None = None
    owner: str | None = None  # the process holding the lease
    digest: dict[str, Any] | None = None  # written with the baseline in one transaction
    csv: str | None = None  # the full diff and current table
    post_attempted_at: float | None = None
    posted_at: float | None = None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Firing:
        data = {f.name: row.get(f.name) for f in fields(cls)}
        data["digest"] = json.loads(row["digest"]) if row.get("digest") else None
        data["missed"] = row.get("missed") or 0
        return cls(**data)


@dataclass
class WatchRow:
    key: str  # the batch row digest of its inputs
    position: int
    inputs: dict[str, str]
    known: dict[str, Any] | None  # {output id: value} last seen; None before the first
    status: str | None = None  # ok | failed, at the last firing
    error: str | None = None
