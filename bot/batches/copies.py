"""How many sheet rows each batch run stands for. Exact duplicate rows share one run, so
counting runs under-counts rows; this table keeps the extra copies of each shared run
(rows with no copies have no entry), and every batch count is in rows of the sheet."""

from __future__ import annotations

from collections.abc import Mapping

from bot.store.database import Store

TABLE = "batch_row_copies"


def record_copies(store: Store, batch_id: str, extra: Mapping[str, int]) -> None:
    """`extra`: a run's dedupe key → the rows beyond the first it answers. Recording the
    same batch again (a restart mid-expansion) changes nothing."""
    rows = [{"key": key, "batch": batch_id, "n": n} for key, n in extra.items() if n > 0]
    store.sql.run_many(
        f"INSERT INTO {TABLE} (dedupe_key, batch_id, extra) VALUES (:key, :batch, :n) "
        "ON CONFLICT (dedupe_key) DO NOTHING",
        rows,
    )


def rows_by_state(store: Store, batch_id: str) -> dict[str, int]:
    """The batch's sheet rows (skipped ones aside) by the state of the run answering them."""
    found = store.sql.query(
        "SELECT r.state AS state, COUNT(*) + COALESCE(SUM(c.extra), 0) AS n FROM runs r "
        f"LEFT JOIN {TABLE} c ON c.dedupe_key = r.dedupe_key "
        "WHERE r.batch_id = :batch GROUP BY r.state",
        {"batch": batch_id},
    )
    return {row["state"]: int(row["n"]) for row in found}
