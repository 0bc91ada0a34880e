"""The database's tables and indexes, created or extended at every start (sqlite-utils adds
what a newer version of the bot needs; nothing is ever dropped)."""

from __future__ import annotations

import sqlite_utils

from bot.store.run_record import LEGACY_PROVIDER, RUN_COLUMNS


def migrate(db: sqlite_utils.Database) -> None:
    """Create or extend the schema; safe to run at every start."""
    runs = db["runs"]
    # Rows from before providers, and rows other modules insert without naming one,
    # are BitScale runs: the column's default says so.
    defaults = {"provider": LEGACY_PROVIDER}
    if not runs.exists():
        runs.create(
            RUN_COLUMNS,
            pk="id",
            not_null={"grid_id", "user_id", "state", "provider"},
            defaults=defaults,
        )
    else:
        for name, kind in RUN_COLUMNS.items():
            if name not in runs.columns_dict:
                runs.add_column(name, kind, not_null_default=defaults.get(name))
        # A grid run's target is its grid.
        db.execute("UPDATE runs SET target = grid_id WHERE target IS NULL")
        db.conn.commit()
    runs.create_index(["dedupe_key"], unique=True, if_not_exists=True)
    runs.create_index(["state", "next_poll_at"], if_not_exists=True)
    runs.create_index(["user_id", "created_at"], if_not_exists=True)
    runs.create_index(["request_id"], if_not_exists=True)
    # Reuse look-ups: one index probe however long the history (see reuse.py).
    runs.create_index(["input_key", "state", "finished_at"], if_not_exists=True)
    runs.create_index(["join_key", "state"], if_not_exists=True)
    runs.create_index(["joined_to"], if_not_exists=True)
    db["cache"].create({"key": str, "value": str, "stored_at": float}, pk="key", if_not_exists=True)
    db["alerts"].create(
        {"name": str, "state": str, "changed_at": float}, pk="name", if_not_exists=True
    )
    db["sessions"].create(
        {"token": str, "payload": str, "created_at": float}, pk="token", if_not_exists=True
    )
    db["seen_events"].create({"event_id": str, "seen_at": float}, pk="event_id", if_not_exists=True)
    # Who runs the once-per-period jobs (leases.py): one row per lease name.
    db["leases"].create(
        {"name": str, "owner": str, "lease_until": float}, pk="name", if_not_exists=True
    )
    db["sessions"].create_index(["created_at"], if_not_exists=True)
    db["seen_events"].create_index(["seen_at"], if_not_exists=True)
