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
    if ended_before is not None:
        ended = ", ".join(f"'{state}'" for state in ENDED)
        gone = store.sql.write(
            f"DELETE FROM batches WHERE state IN ({ended}) "
            "AND COALESCE(finished_at, created_at) < :before "
            "AND NOT EXISTS (SELECT 1 FROM runs WHERE runs.batch_id = batches.id) RETURNING id",
            {"before": ended_before},
        )
        for row in gone:
            pruned.files += store.sql.run(
                "DELETE FROM files WHERE owner = :owner", {"owner": row["id"]}
            )
        pruned.batches = len(gone)
    pruned.files += store.sql.run(
        "DELETE FROM files WHERE kind = 'upload' AND owner LIKE 'user:%' AND created_at < :cut",
        {"cut": now - UPLOAD_DAYS * 86400.0},
    )
    return pruned
