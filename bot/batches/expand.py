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

INSERT_CHUNK = 500

# (grid_id, grid_name, inputs, output_columns, user_id, channel_id) → an earlier result per
# input that this person may see there, or None
EarlierResults = Callable[[str, str, list[dict[str, str]], list[str] | None, str, str | None], list]


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
            batch.grid_id,
            batch.grid_name,
            inputs,
            batch.output_columns,
            batch.user_id,
            batch.channel_id,
        )
    outputs = None if batch.output_columns is None else json.dumps(batch.output_columns)
    shared = {
        "grid_id": batch.grid_id,
        "grid_name": batch.grid_name,
        "output_columns": outputs,
        "user_id": batch.user_id,
        "team_id": batch.team_id,
        "channel_id": batch.channel_id,
        "mode": batch.mode,
        "batch_id": batch.id,
        "provider": provider,
        "target": batch.grid_id,
    }
    queued: list[dict[str, Any]] = []
    reused: list[dict[str, Any]] = []
    taken: set[str] = set()
    for (i, row), hit in zip(chunk, found, strict=True):
        key = f"batch:{batch.id}:{row.digest}"
        if key in taken:  # an exact duplicate: the first copy's run answers it
            continue
        taken.add(key)
        own = {
            "id": new_run_id(),
            "dedupe_key": key,
            "inputs": json.dumps(row.inputs, ensure_ascii=False),
            "created_at": now + i * 1e-6,  # keeps the file's order
        }
        if hit is None:
            queued.append(own)
        else:
            reused.append(
                {
                    **own,
                    "outputs": json.dumps(hit.outputs, ensure_ascii=False),
                    "reused_from": hit.run_id,
                    "reused_from_user": hit.made_by,
                    "reused_from_at": hit.made_at,
                }
            )
    with store.sql.transaction() as tx:
        for rows, more in (
            (queued, {"state": "queued", "submit_after": now}),
            (reused, {"state": "reused", "finished_at": now}),
        ):
            if rows:
                names = [*rows[0], *shared, *more]
                # A run already there (a restart mid-way) is left alone.
                tx.run_many(
                    f"INSERT INTO runs ({', '.join(names)}) "
                    f"VALUES ({', '.join(':' + n for n in names)}) ON CONFLICT DO NOTHING",
                    [{**row, **shared, **more} for row in rows],
                )
