"""How many sheet rows each batch run stands for. Exact duplicate rows share one run, so
counting runs under-counts rows; this table keeps the extra copies of each shared run
(rows with no copies have no entry), and every batch count is in rows of the sheet."""

from __future__ import annotations

from collections.abc import Mapping

import sqlite_utils

from bot.store.database import Store

TABLE = "batch_row_copies"


def migrate(db: sqlite_utils.Database) -> None:
    db[TABLE].create(
        {"dedupe_key": str, "batch_id": str, "extra": int}, pk="dedupe_key", if_not_exists=True
    )
    db[TABLE].create_index(["batch_id"], if_not_exists=True)


def record_copies(store: Store, batch_id: str, extra: Mapping[str, int]) -> None:
    """`extra`: a run's dedupe key → the rows beyond the first it answers. Recording the
    same batch again (a restart mid-expansion) changes nothing."""
    db = store.db()
    db.conn.executemany(
        f"INSERT INTO {TABLE} (dedupe_key, batch_id, extra) VALUES (?, ?, ?) "
        "ON CONFLICT (dedupe_key) DO NOTHING",
        [(key, batch_id, n) for key, n in extra.items() if n > 0],
    )
    db.conn.commit()


def rows_by_state(store: Store, batch_id: str) -> dict[str, int]:
    """The batch's sheet rows (skipped ones aside) by the state of the run answering them."""
    found = store.db().execute(
        f"SELECT r.state, COUNT(*) + COALESCE(SUM(c.extra), 0) FROM runs r "
        f"LEFT JOIN {TABLE} c ON c.dedupe_key = r.dedupe_key "
        "WHERE r.batch_id = ? GROUP BY r.state",
        [batch_id],
    )
    return {state: int(n) for state, n in found.fetchall()}
