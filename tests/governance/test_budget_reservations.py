"""Budgets count the rows of recorded batches not yet run, on both backends (issue 27, N5
and N6): a held batch, a batch being expanded, and the batch being approved left out."""

from __future__ import annotations

import time

from bot.governance.usage import Usage
from bot.store.database import Store


def _batch(store: Store, batch_id: str, state: str, rows: int, user: str = "U1") -> None:
    store.sql.insert(
        "batches",
        {
            "id": batch_id,
            "grid_id": "g1",
            "user_id": user,
            "state": state,
            "runs_total": rows,
            "created_at": time.time() - 3 * 86400,  # held days ago: still counted
        },
    )


def _run(store: Store, run_id: str, batch_id: str | None, state: str = "queued") -> None:
    store.sql.insert(
        "runs",
        {
            "id": run_id,
            "dedupe_key": run_id,
            "grid_id": "g1",
            "user_id": "U1",
            "state": state,
            "batch_id": batch_id,
            "inputs": "{}",
            "created_at": time.time(),
        },
    )


def test_recorded_batches_reserve_their_rows_until_they_are_runs(database_target):
    store = Store(database_target)
    usage = Usage(store)
    _batch(store, "held", "awaiting_approval", 5)
    _batch(store, "growing", "preparing", 4)
    _batch(store, "other", "awaiting_approval", 7, user="U2")
    _batch(store, "ran", "running", 9)
    _batch(store, "no", "denied", 8)
    _run(store, "r1", "growing")
    _run(store, "r2", "growing", state="reused")  # nothing spent, but no longer waiting
    _run(store, "single", None)
    assert usage.rows_today("U1") == 2  # what was spent: unchanged
    assert usage.rows_committed("U1") == 2 + 5 + 2
    assert usage.rows_committed() == 2 + 5 + 2 + 7
    assert usage.rows_committed("U1", except_batch="held") == 2 + 2
