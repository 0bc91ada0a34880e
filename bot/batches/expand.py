"""Expanding a batch's file into queued runs, one per distinct row (idempotent: a run's
dedupe key is the batch id plus the row's digest, so a restart mid-way inserts nothing twice)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable

from bot.batches.copies import record_copies
from bot.batches.rows import Row, rows
from bot.batches.store import Batch, BatchStore
from bot.store.run_record import new_run_id

INSERT_CHUNK = 500

# (grid_id, grid_name, inputs, output_columns, user_id) → an earlier result per input, or None
EarlierResults = Callable[[str, str, list[dict[str, str]], list[str] | None, str], list]

_COLUMNS = (
    "id, dedupe_key, grid_id, grid_name, inputs, output_columns, user_id, team_id, "
    "channel_id, created_at, mode, batch_id, provider, target"
)


def expand(
    store: BatchStore, batch: Batch, earlier: EarlierResults, provider: str, now: float
) -> None:
    """Queue every row of the batch's file that has inputs, in chunks; exact duplicates
    share a run, and how many rows each run answers is recorded (copies.py)."""
    chunk: list[tuple[int, Row]] = []
    seen: Counter[str] = Counter()
    for i, row in enumerate(rows(store.csv_info(batch), batch.mapping)):
        if row.inputs is None:
            continue
        seen[row.digest or ""] += 1
        chunk.append((i, row))
        if len(chunk) >= INSERT_CHUNK:
            _insert_rows(store, batch, chunk, earlier, provider, now)
            chunk = []
    if chunk:
        _insert_rows(store, batch, chunk, earlier, provider, now)
    extra = {f"batch:{batch.id}:{d}": n - 1 for d, n in seen.items() if n > 1}
    record_copies(store.store, batch.id, extra)


def _insert_rows(
    store: BatchStore,
    batch: Batch,
    chunk: list[tuple[int, Row]],
    earlier: EarlierResults,
    provider: str,
    now: float,
) -> None:
    """Queue a chunk of rows as runs. A row that an earlier result answers (unless the
    batch runs all fresh) goes in as `reused`, already finished: it is never sent."""
    found = [None] * len(chunk)
    if not batch.fresh:
        inputs = [row.inputs or {} for _, row in chunk]
        found = earlier(
            batch.grid_id, batch.grid_name, inputs, batch.output_columns, batch.user_id
        )
    outputs = None if batch.output_columns is None else json.dumps(batch.output_columns)
    queued, reused = [], []
    for (i, row), hit in zip(chunk, found, strict=True):
        common = [
            new_run_id(),
            f"batch:{batch.id}:{row.digest}",
            batch.grid_id,
            batch.grid_name,
            json.dumps(row.inputs, ensure_ascii=False),
            outputs,
            batch.user_id,
            batch.team_id,
            batch.channel_id,
            now + i * 1e-6,  # keeps the file's order
            batch.mode,
            batch.id,
            provider,
            batch.grid_id,
        ]
        if hit is None:
            queued.append([*common, now])
        else:
            answer = json.dumps(hit.outputs, ensure_ascii=False)
            reused.append([*common, now, answer, hit.run_id, hit.made_by, hit.made_at])
    marks = ", ".join("?" * 14)
    db = store.store.db()
    if queued:
        db.conn.executemany(
            f"INSERT OR IGNORE INTO runs ({_COLUMNS}, state, submit_after) "
            f"VALUES ({marks}, 'queued', ?)",
            queued,
        )
    if reused:
        db.conn.executemany(
            f"INSERT OR IGNORE INTO runs ({_COLUMNS}, state, finished_at, outputs, "
            f"reused_from, reused_from_user, reused_from_at) "
            f"VALUES ({marks}, 'reused', ?, ?, ?, ?, ?)",
            reused,
        )
    db.conn.commit()
