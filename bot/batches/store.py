"""Storage for batches: the `batches` table, measured grid costs, and the batch's rows,
on either backend (the tables come from the schema's migrations, bot/store/migrations/).

A batch's rows are ordinary runs (table `runs`) carrying its `batch_id`; their dedupe key is
the batch id plus a digest of the row's inputs, so expanding a file twice (after a crash, or
a second submission) inserts nothing new, and exact duplicate rows share one run.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from typing import Any

from bot.batches import copies
from bot.batches.csvread import CsvInfo
from bot.store.database import Store
from bot.store.files import FileStore
from bot.store.run_record import Run
from bot.store.sql import marks, stored

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
    "prepare_lease": float,  # the process announcing and expanding it holds it until then
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
    prepare_lease: float | None = None
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


class BatchStore:
    """Batch rows on top of the shared `Store` (the same database, through `store.sql`)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.sql = store.sql
        self.files = FileStore(store)

    def csv_info(self, batch: Batch) -> CsvInfo:
        """The batch's uploaded file, read from the database."""
        return batch.csv_info(self.files.get(batch.file_id))

    def insert(self, batch: Batch) -> tuple[Batch, bool]:
        """Insert unless a batch with the same id or dedupe key exists; (batch, inserted)."""
        row = {name: stored(value) for name, value in batch.to_row().items()}
        if self.sql.insert("batches", row, ignore_conflict=True):
            return batch, True
        existing = self.by_dedupe_key(batch.dedupe_key) if batch.dedupe_key else None
        return (existing or batch), False

    def _one(self, where: str, params: dict[str, Any]) -> Batch | None:
        row = self.sql.one(f"SELECT * FROM batches WHERE {where} LIMIT 1", params)
        return Batch.from_row(row) if row else None

    def get(self, batch_id: str) -> Batch | None:
        return self._one("id = :id", {"id": batch_id})

    def by_dedupe_key(self, key: str) -> Batch | None:
        return self._one("dedupe_key = :key", {"key": key})

    def where(self, where: str, params: dict[str, Any] | None = None) -> list[Batch]:
        """Batches matching a condition with named parameters, oldest first."""
        rows = self.sql.query(f"SELECT * FROM batches WHERE {where} ORDER BY created_at", params)
        return [Batch.from_row(r) for r in rows]

    def update(self, batch_id: str, **changes: Any) -> None:
        """Change columns of one batch (a batch no longer there is left alone)."""
        if not changes:
            return
        for key in JSON_FIELDS:
            if key in changes and changes[key] is not None:
                changes[key] = json.dumps(changes[key], ensure_ascii=False)
        sets = ", ".join(f"{name} = :{name}" for name in changes)
        params = {name: stored(value) for name, value in changes.items()}
        self.sql.run(
            f"UPDATE batches SET {sets} WHERE id = :batch_id_", {**params, "batch_id_": batch_id}
        )

    def move(self, batch_id: str, from_states: tuple[str, ...], **changes: Any) -> bool:
        """Change a batch only if it is in one of `from_states` (one statement, no race)."""
        sets = ", ".join(f"{name} = :{name}" for name in changes)
        states, params = marks("from_state_", from_states)
        params.update({name: stored(value) for name, value in changes.items()})
        params["batch_id_"] = batch_id
        rows = self.sql.write(
            f"UPDATE batches SET {sets} WHERE id = :batch_id_ AND state IN ({states}) RETURNING id",
            params,
        )
        return bool(rows)

    def claim_preparation(self, batch_id: str, now: float, lease: float) -> bool:
        """Take the preparing of a batch (announce, expand, start): of processes sharing the
        database one holds it until `now + lease` (it may be taken again after that, as when
        its process died)."""
        return bool(
            self.sql.write(
                "UPDATE batches SET prepare_lease = :until WHERE id = :id "
                "AND state = 'preparing' AND (prepare_lease IS NULL OR prepare_lease <= :now) "
                "RETURNING id",
                {"until": now + lease, "id": batch_id, "now": now},
            )
        )

    def counts(self, batch_id: str) -> dict[str, int]:
        """Rows of the batch's sheet by the state of their run (duplicates included:
        one counting rule, rows of the sheet, in the preview, progress and summary)."""
        return copies.rows_by_state(self.store, batch_id)

    def failure_reasons(self, batch_id: str, limit: int = 10) -> list[tuple[str, int]]:
        rows = self.sql.query(
            "SELECT COALESCE(error_message, error_code, state) AS reason, COUNT(*) AS n "
            "FROM runs WHERE batch_id = :batch AND state NOT IN ('completed', 'reused', "
            "'queued', 'submitting', 'running', 'cancelled') "
            "GROUP BY COALESCE(error_message, error_code, state) "
            "ORDER BY n DESC, reason LIMIT :limit",
            {"batch": batch_id, "limit": limit},
        )
        return [(row["reason"], int(row["n"])) for row in rows]

    def claim_row(self, batch_id: str, now: float, lease: float) -> Run | None:
        """Take the batch's next queued row to feed it: leased to this feeder, so no other
        feeder (in this process or another) takes it until `release_row` or the lease ends.
        On PostgreSQL the claim skips rows another process is claiming that instant."""
        where = "batch_id = :batch AND state = 'queued' AND submit_after <= :due"
        params = {"batch": batch_id, "due": now}
        free = f"{where} AND (lease_until IS NULL OR lease_until <= :due)"
        if self.sql.one(f"SELECT id FROM runs WHERE {free} LIMIT 1", params) is None:
            return None  # a read, not a write, while every row is out (most of a batch)
        taken = self.store.claim(
            where,
            params,
            now=now,
            lease=lease,
            limit=1,
        )
        return taken[0] if taken else None

    def rows_in_hand(self, batch_id: str, now: float) -> set[str]:
        """The batch's rows some feeder (of any process) has claimed and not yet let go of
        or sent: each may still be sent."""
        rows = self.sql.query(
            "SELECT id FROM runs WHERE batch_id = :batch AND state = 'queued' "
            "AND lease_until > :now",
            {"batch": batch_id, "now": now},
        )
        return {row["id"] for row in rows}

    def release_row(self, run: Run) -> None:
        """The feeder is done with a row it claimed: its lease goes, unless someone else
        (the run core's poller, once the feeder's lease ran out) has leased it since."""
        self.sql.run(
            "UPDATE runs SET lease_until = NULL WHERE id = :id AND lease_until = :mine",
            {"id": run.id, "mine": run.lease_until},
        )

    def grid_cost(self, grid_id: str) -> float | None:
        return self.sql.scalar(
            "SELECT credits_per_run FROM grid_costs WHERE grid_id = :grid", {"grid": grid_id}
        )

    def save_grid_cost(self, grid_id: str, per_run: float, runs: int, now: float) -> None:
        row = {"grid_id": grid_id, "credits_per_run": per_run, "runs": runs, "measured_at": now}
        self.sql.upsert("grid_costs", row, "grid_id")
