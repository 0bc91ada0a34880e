"""SQLite for batches: the `batches` table, measured grid costs, and the batch's rows.

A batch's rows are ordinary runs (table `runs`) carrying its `batch_id`; their dedupe key is
the batch id plus a digest of the row's inputs, so expanding a file twice (after a crash, or
a second submission) inserts nothing new, and exact duplicate rows share one run.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from typing import Any

import sqlite_utils

from bot.batches import copies
from bot.batches.csvio import CsvInfo
from bot.store.database import Store
from bot.store.files import FileStore

# awaiting_approval → preparing → running ⇄ paused → done | cancelled; or denied.
ACTIVE_STATES = ("preparing", "running", "paused")
ENDED_STATES = ("done", "cancelled", "denied")

BATCH_COLUMNS: dict[str, type] = {
    "id": str,
    "dedupe_key": str,
    "grid_id": str,
    "grid_name": str,
    "user_id": str,
    "team_id": str,
    "channel_id": str,
    "file_name": str,
    "file_id": str,  # the uploaded file, in the files table (bot/store/files.py)
    "file_path": str,  # before files moved into the database: imported at start (legacy.py)
    "encoding": str,
    "delimiter": str,
    "headers": str,  # JSON list
    "mapping": str,  # JSON {input key: header}
    "outputs": str,  # JSON [{"id", "name"}] in the order the CSV gets them
    "output_columns": str,  # JSON list sent to BitScale, or NULL for all
    "mode": str,
    "state": str,
    "rows_total": int,
    "rows_skipped": int,
    "rows_duplicate": int,
    "runs_total": int,
    "fresh": int,  # 1: "Run all fresh", earlier results are not reused
    "estimate": float,  # credits the preview estimated, NULL when unknown
    "credits_before": int,
    "credits_after": int,
    "pause_code": str,
    "pause_reason": str,
    "pause_notified": int,
    "cancelled_by": str,
    "decided_by": str,  # who approved or denied it
    "created_at": float,
    "started_at": float,
    "finished_at": float,
    "post_channel": str,
    "message_ts": str,
    "fallback_reason": str,
    "progress_at": float,
    "progress_seen": str,  # the counts last shown, to skip edits that change nothing
    "reply_lease": float,
    "reply_attempted_at": float,
    "reply_posted_at": float,
    "file_posted_at": float,
    "result_file_id": str,  # the enriched file, in the files table
    "result_path": str,  # before files moved into the database (legacy.py)
}
JSON_FIELDS = ("headers", "mapping", "outputs", "output_columns")


@dataclass
class Batch:
    id: str
    grid_id: str
    grid_name: str
    user_id: str
    channel_id: str | None
    file_name: str
    file_id: str
    encoding: str
    delimiter: str
    headers: list[str]
    mapping: dict[str, str]
    outputs: list[dict[str, str]]
    state: str
    created_at: float
    output_columns: list[str] | None = None
    dedupe_key: str | None = None
    team_id: str | None = None
    mode: str = "async"
    rows_total: int = 0
    rows_skipped: int = 0
    rows_duplicate: int = 0
    runs_total: int = 0
    fresh: int = 0
    estimate: float | None = None
    credits_before: int | None = None
    credits_after: int | None = None
    pause_code: str | None = None
    pause_reason: str | None = None
    pause_notified: int = 0
    cancelled_by: str | None = None
    decided_by: str | None = None
    started_at: float | None = None
    finished_at: float | None = None
    post_channel: str | None = None
    message_ts: str | None = None
    fallback_reason: str | None = None
    progress_at: float | None = None
    progress_seen: str | None = None
    reply_lease: float | None = None
    reply_attempted_at: float | None = None
    reply_posted_at: float | None = None
    file_posted_at: float | None = None
    result_file_id: str | None = None

    def csv_info(self, data: bytes) -> CsvInfo:
        """The batch's file (its bytes as stored) as it was checked at upload."""
        return CsvInfo(
            self.file_id, self.encoding, self.delimiter, self.headers, self.rows_total, data
        )

    @property
    def ended(self) -> bool:
        return self.state in ENDED_STATES

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Batch:
        data = {f.name: row.get(f.name) for f in fields(cls) if f.name in row}
        for key in JSON_FIELDS:
            data[key] = None if row.get(key) is None else json.loads(row[key])
        for key in (
            "rows_total",
            "rows_skipped",
            "rows_duplicate",
            "runs_total",
            "pause_notified",
            "fresh",
        ):
            data[key] = row.get(key) or 0
        return cls(**data)

    def to_row(self) -> dict[str, Any]:
        row = {f.name: getattr(self, f.name) for f in fields(self) if f.name in BATCH_COLUMNS}
        for key in JSON_FIELDS:
            row[key] = None if row[key] is None else json.dumps(row[key], ensure_ascii=False)
        return row


def migrate(db: sqlite_utils.Database) -> None:
    """Create or extend the batch tables; safe at every start."""
    batches = db["batches"]
    if not batches.exists():
        batches.create(BATCH_COLUMNS, pk="id", not_null={"grid_id", "user_id", "state"})
    else:
        for name, kind in BATCH_COLUMNS.items():
            if name not in batches.columns_dict:
                batches.add_column(name, kind)
    batches.create_index(["dedupe_key"], unique=True, if_not_exists=True)
    batches.create_index(["state"], if_not_exists=True)
    db["grid_costs"].create(
        {"grid_id": str, "credits_per_run": float, "runs": int, "measured_at": float},
        pk="grid_id",
        if_not_exists=True,
    )
    db["runs"].create_index(["batch_id", "state"], if_not_exists=True)
    copies.migrate(db)


class BatchStore:
    """Batch rows on top of the shared `Store` (same file, same per-thread connections)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.files = FileStore(store)

    def csv_info(self, batch: Batch) -> CsvInfo:
        """The batch's uploaded file, read from the database."""
        return batch.csv_info(self.files.get(batch.file_id))

    def insert(self, batch: Batch) -> tuple[Batch, bool]:
        """Insert unless a batch with the same dedupe key exists; (batch, inserted)."""
        row = batch.to_row()
        db = self.store.db()
        cursor = db.execute(
            f"INSERT OR IGNORE INTO batches ({', '.join(row)}) "
            f"VALUES ({', '.join('?' * len(row))})",
            list(row.values()),
        )
        db.conn.commit()
        if cursor.rowcount == 1:
            return batch, True
        existing = self.by_dedupe_key(batch.dedupe_key) if batch.dedupe_key else None
        return (existing or batch), False

    def get(self, batch_id: str) -> Batch | None:
        rows = list(self.store.db()["batches"].rows_where("id = ?", [batch_id], limit=1))
        return Batch.from_row(rows[0]) if rows else None

    def by_dedupe_key(self, key: str) -> Batch | None:
        rows = list(self.store.db()["batches"].rows_where("dedupe_key = ?", [key], limit=1))
        return Batch.from_row(rows[0]) if rows else None

    def where(self, where: str, params: list[Any] | None = None) -> list[Batch]:
        rows = self.store.db()["batches"].rows_where(where, params or [], order_by="created_at")
        return [Batch.from_row(r) for r in rows]

    def update(self, batch_id: str, **changes: Any) -> None:
        for key in JSON_FIELDS:
            if key in changes and changes[key] is not None:
                changes[key] = json.dumps(changes[key], ensure_ascii=False)
        db = self.store.db()
        db["batches"].update(batch_id, changes)
        db.conn.commit()

    def move(self, batch_id: str, from_states: tuple[str, ...], **changes: Any) -> bool:
        """Change a batch only if it is in one of `from_states` (one statement, no race)."""
        sets = ", ".join(f"{k} = ?" for k in changes)
        marks = ", ".join("?" * len(from_states))
        rows = self.store.write(
            f"UPDATE batches SET {sets} WHERE id = ? AND state IN ({marks}) RETURNING id",
            [*changes.values(), batch_id, *from_states],
        )
        return bool(rows)

    def counts(self, batch_id: str) -> dict[str, int]:
        """Rows of the batch's sheet by the state of their run (duplicates included:
        one counting rule, rows of the sheet, in the preview, progress and summary)."""
        return copies.rows_by_state(self.store, batch_id)

    def failure_reasons(self, batch_id: str, limit: int = 10) -> list[tuple[str, int]]:
        rows = self.store.db().execute(
            "SELECT COALESCE(error_message, error_code, state), COUNT(*) AS n FROM runs "
            "WHERE batch_id = ? AND state NOT IN ('completed', 'reused', 'queued', "
            "'submitting', 'running', 'cancelled') GROUP BY 1 ORDER BY n DESC LIMIT ?",
            [batch_id, limit],
        )
        return [(reason, n) for reason, n in rows.fetchall()]

    def grid_cost(self, grid_id: str) -> float | None:
        rows = list(self.store.db()["grid_costs"].rows_where("grid_id = ?", [grid_id], limit=1))
        return rows[0]["credits_per_run"] if rows else None

    def save_grid_cost(self, grid_id: str, per_run: float, runs: int, now: float) -> None:
        db = self.store.db()
        db["grid_costs"].upsert(
            {"grid_id": grid_id, "credits_per_run": per_run, "runs": runs, "measured_at": now},
            pk="grid_id",
        )
        db.conn.commit()
