"""Retention for batches and the files kept with them (files.py): an ended batch goes once
its rows are gone (retention.py deletes them when they are old enough), its uploaded and
enriched files with it; an upload that never became a batch goes with its form's session,
after a week. Lead data is kept no longer than the runs made from it."""

from __future__ import annotations

from dataclasses import dataclass

from bot.store.database import Store

UPLOAD_DAYS = 7.0  # a form's session lives this long (database.py save_session)
ENDED = ("done", "cancelled", "denied")


@dataclass
class PrunedBatches:
    batches: int = 0
    files: int = 0


def prune_batches(store: Store, *, ended_before: float | None, now: float) -> PrunedBatches:
    """Delete ended batches older than `ended_before` that have no rows left, with their
    files (None: keep batches for ever), and uploads older than a week that no batch owns."""
    pruned = PrunedBatches()
    db = store.db()
    if not db["files"].exists():
        return pruned
    if ended_before is not None and db["batches"].exists():
        marks = ", ".join("?" * len(ENDED))
        gone = store.write(
            f"DELETE FROM batches WHERE state IN ({marks}) "
            "AND COALESCE(finished_at, created_at) < ? "
            "AND NOT EXISTS (SELECT 1 FROM runs WHERE runs.batch_id = batches.id) RETURNING id",
            [*ENDED, ended_before],
        )
        for row in gone:
            pruned.files += len(
                store.write("DELETE FROM files WHERE owner = ? RETURNING id", [row["id"]])
            )
        pruned.batches = len(gone)
    orphans = store.write(
        "DELETE FROM files WHERE kind = 'upload' AND owner LIKE 'user:%' AND created_at < ? "
        "RETURNING id",
        [now - UPLOAD_DAYS * 86400.0],
    )
    pruned.files += len(orphans)
    return pruned
