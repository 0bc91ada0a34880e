"""The audit log: an append-only record of who did what with the workspace's credits.

`record(actor, action, **details)` appends one entry. Entries are never changed or
removed: triggers (made by the schema's first migration, on both backends) refuse UPDATE
and DELETE on the table, so not even a bug in the bot can rewrite history. Columns that
people filter on (actor, grid, run, channel, rows, outcome) are real columns; anything else
goes into `details` as JSON.

Actions in use: run, batch, refused, approval_requested, approved, denied,
setting_changed, key_rotated, key_rotation_failed. A run's outcome is read from its run
row when shown (the run entry is written when it starts).
"""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from bot.store.database import Store

# Never stored, whatever a caller passes: the key is a secret (see keys.py).
_FORBIDDEN = {"api_key", "key", "token", "secret"}
_COLUMNS = ("grid_id", "grid_name", "run_id", "channel_id", "rows", "outcome", "entry")
CSV_HEADER = [
    "when_utc",
    "actor",
    "action",
    "grid_id",
    "grid_name",
    "channel_id",
    "rows",
    "outcome",
    "entry",
    "details",
]


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: float
    actor: str
    action: str
    grid_id: str | None
    grid_name: str | None
    run_id: str | None
    channel_id: str | None
    rows: int | None
    outcome: str | None
    entry: str | None
    details: dict[str, Any]


class AuditLog:
    def __init__(self, store: Store, clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.clock = clock

    def record(self, actor: str, action: str, **details: Any) -> None:
        """Append one entry. Known columns are pulled out of `details`; the rest is JSON."""
        bad = _FORBIDDEN & set(details)
        if bad:
            raise ValueError(f"the audit log never stores {', '.join(sorted(bad))}")
        row: dict[str, Any] = {"at": self.clock(), "actor": actor or "?", "action": action}
        for name in _COLUMNS:
            if name in details:
                row[name] = details.pop(name)
        row["details"] = json.dumps(details, ensure_ascii=False, default=str) if details else None
        self.store.sql.insert("audit", row)

    def entries(
        self,
        *,
        actor: str | None = None,
        grid: str | None = None,
        action: str | None = None,
        since: float | None = None,
        until: float | None = None,
        limit: int | None = 20,
    ) -> list[AuditEntry]:
        """Newest first. `grid` matches a grid id or (case-insensitively) its name."""
        where, params = ["1 = 1"], {}
        if actor:
            where.append("actor = :actor")
            params["actor"] = actor
        if grid:
            where.append("(grid_id = :grid OR lower(grid_name) = lower(:grid))")
            params["grid"] = grid
        if action:
            where.append("action = :action")
            params["action"] = action
        if since is not None:
            where.append("at >= :since")
            params["since"] = since
        if until is not None:
            where.append("at < :until")
            params["until"] = until
        tail = ""
        if limit is not None:
            tail = " LIMIT :limit"
            params["limit"] = limit
        rows = self.store.sql.query(
            f"SELECT * FROM audit WHERE {' AND '.join(where)} ORDER BY id DESC{tail}", params
        )
        return [_entry(r) for r in rows]

    def outcomes(self, entries: Iterable[AuditEntry]) -> dict[int, str]:
        """Each entry's outcome by entry id: what was recorded, or for a run or a batch,
        where it stands now (its entry is written when it starts)."""
        entries = list(entries)
        runs = self._states("runs", [e.run_id for e in entries if e.run_id])
        batch_ids = [str(e.details.get("batch_id")) for e in entries if e.details.get("batch_id")]
        batches = self._states("batches", batch_ids)
        found: dict[int, str] = {}
        for e in entries:
            now = runs.get(e.run_id or "") or batches.get(str(e.details.get("batch_id") or ""))
            if now or e.outcome:
                found[e.id] = now or e.outcome or ""
        return found

    def _states(self, table: str, ids: list[str]) -> dict[str, str]:
        ids = list(set(ids))
        if not ids:
            return {}
        names = {f"id{i}": run_or_batch for i, run_or_batch in enumerate(ids)}
        rows = self.store.sql.query(
            f"SELECT id, state FROM {table} WHERE id IN ({', '.join(':' + n for n in names)})",
            names,
        )
        return {r["id"]: r["state"] for r in rows}

    def to_csv(self, entries: list[AuditEntry], *, cell: Callable[[str], str]) -> str:
        """Oldest first, one row per entry, with outcomes filled in. Every cell goes through
        `cell` (csvwrite.neutralise): a grid named `=HYPERLINK(…)` must not become a live
        formula in the admin's spreadsheet."""
        outcomes = self.outcomes(entries)
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(CSV_HEADER)
        for e in sorted(entries, key=lambda e: e.id):
            when = datetime.fromtimestamp(e.at, timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
            outcome = outcomes.get(e.id, "")
            writer.writerow(
                cell(str(value))
                for value in [
                    when,
                    e.actor,
                    e.action,
                    e.grid_id or "",
                    e.grid_name or "",
                    e.channel_id or "",
                    "" if e.rows is None else e.rows,
                    outcome,
                    e.entry or "",
                    json.dumps(e.details, ensure_ascii=False) if e.details else "",
                ]
            )
        return out.getvalue()


def _entry(row: dict[str, Any]) -> AuditEntry:
    return AuditEntry(
        id=row["id"],
        at=row["at"],
        actor=row["actor"],
        action=row["action"],
        grid_id=row.get("grid_id"),
        grid_name=row.get("grid_name"),
        run_id=row.get("run_id"),
        channel_id=row.get("channel_id"),
        rows=row.get("rows"),
        outcome=row.get("outcome"),
        entry=row.get("entry"),
        details=json.loads(row["details"]) if row.get("details") else {},
    )
