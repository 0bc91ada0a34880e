"""Expanding a batch's file into queued runs, one per distinct row (idempotent: a run's
dedupe key is the batch id plus the row's digest, so a restart mid-way inserts nothing twice)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from typing import Any

from bot.batches.copies import record_copies
from bot.batches.rows import Row, rows
from bot.batches.store import Batch, BatchStore
from bot.store.run_record import new_run_id
from bot.store.sql import Transaction

INSERT_CHUNK = 500

# (grid_id, grid_name, inputs, output_columns, user_id) → an earlier result per input, or None
EarlierResults = Callable[[str, str, list[dict[str, str]], list[str] | None, str], list]

# Rows per INSERT statement: 19 parameters each stays under SQLite's oldest limit of 999.
ROWS_PER_STATEMENT = 50


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
        found = earlier(batch.grid_id, batch.grid_name, inputs, batch.output_columns, batch.user_id)
    outputs = None if batch.output_columns is None else json.dumps(batch.output_columns)
    rows: list[dict[str, Any]] = []
    taken: set[str] = set()
    for (i, row), hit in zip(chunk, found, strict=True):
        key = f"batch:{batch.id}:{row.digest}"
        if key in taken:  # an exact duplicate: the first copy's run answers it
            continue
        taken.add(key)
        run = {
            "id": new_run_id(),
            "dedupe_key": key,
            "grid_id": batch.grid_id,
            "grid_name": batch.grid_name,
            "inputs": json.dumps(row.inputs, ensure_ascii=False),
            "output_columns": outputs,
            "user_id": batch.user_id,
            "team_id": batch.team_id,
            "channel_id": batch.channel_id,
            "created_at": now + i * 1e-6,  # keeps the file's order
            "mode": batch.mode,
            "batch_id": batch.id,
            "provider": provider,
            "target": batch.grid_id,
        }
        if hit is None:
            run.update(state="queued", submit_after=now)
        else:
            run.update(
                state="reused",
                finished_at=now,
                outputs=json.dumps(hit.outputs, ensure_ascii=False),
                reused_from=hit.run_id,
                reused_from_user=hit.made_by,
                reused_from_at=hit.made_at,
            )
        rows.append(run)
    with store.sql.transaction() as tx:
        for kind in ("queued", "reused"):
            same = [r for r in rows if r["state"] == kind]
            for start in range(0, len(same), ROWS_PER_STATEMENT):
                _insert_many(tx, same[start : start + ROWS_PER_STATEMENT])


def _insert_many(tx: Transaction, rows: list[dict[str, Any]]) -> None:
    """One multi-row INSERT; a row whose run is already there (a restart) is left alone."""
    if not rows:
        return
    names = list(rows[0])
    values, params = [], {}
    for n, row in enumerate(rows):
        values.append("(" + ", ".join(f":{name}_{n}" for name in names) + ")")
        params.update({f"{name}_{n}": row[name] for name in names})
    tx.run(
        f"INSERT INTO runs ({', '.join(names)}) VALUES {', '.join(values)} ON CONFLICT DO NOTHING",
        params,
    )
