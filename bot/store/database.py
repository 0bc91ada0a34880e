"""The Store: runs, the grid cache, alert state, modal sessions and seen events, on either
backend (SQLite at `DATABASE_PATH`, or PostgreSQL at `DATABASE_URL`).

Every statement goes through `self.sql` (sql.py): named parameters, SQL both backends
speak. Work is claimed in single `UPDATE … RETURNING` statements (on PostgreSQL with
`FOR UPDATE SKIP LOCKED`), so two workers, in one process or several, never take the same
row. Opening a Store migrates its schema to the code's revision (migrate.py).
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import fields
from pathlib import Path
from typing import Any

from bot.store.engines import is_postgres_url
from bot.store.opening import StoreError, open_postgres, open_sqlite, restrict_file_modes
from bot.store.run_record import REF_LENGTH, Run, dumps_or_none, failure_shape
from bot.store.sql import Database, stored

__all__ = ["Store", "StoreError"]


class Store:
    def __init__(self, target: str | Path, *, pool_size: int = 10) -> None:
        """`target`: a SQLite file path (or ":memory:"), or a postgresql:// URL."""
        self.target = str(target)
        self.postgres = is_postgres_url(self.target)
        # The SQLite file, for the modules that need the file itself (lock, backup).
        self.path: str | None = None if self.postgres else self.target
        opener = open_postgres if self.postgres else open_sqlite
        self.sql: Database = opener(self.target, pool_size=pool_size)
        self.kind = self.sql.kind

    def close(self) -> None:
        self.sql.close()

    def restrict_file_modes(self) -> None:
        """The SQLite database and its WAL and shared-memory files: readable by the owner
        only (the API key stored by a rotation lives here)."""
        if self.path is not None:
            restrict_file_modes(self.path)

    # --- runs ---------------------------------------------------------------------------

    def insert_run(self, run: Run) -> tuple[Run, bool]:
        """Insert unless a run with the same dedupe key exists; return (run, inserted)."""
        row = self._row(run)
        # `seq` numbers runs in order of arrival (see submit.py's joins).
        inserted = self.sql.run(
            f"INSERT INTO runs ({', '.join(row)}, seq) SELECT "
            f"{', '.join(':' + name for name in row)}, COALESCE(MAX(seq), 0) + 1 FROM runs "
            "WHERE 1 = 1 ON CONFLICT DO NOTHING",  # WHERE: SQLite's parser needs it here
            row,
        )
        if inserted == 1:
            return run, True
        existing = self.run_by_dedupe_key(run.dedupe_key) if run.dedupe_key else None
        return (existing or run), False

    def _row(self, run: Run) -> dict[str, Any]:
        row = {f.name: stored(getattr(run, f.name)) for f in fields(run)}
        row["inputs"] = dumps_or_none(run.inputs)
        row["output_columns"] = dumps_or_none(run.output_columns)
        row["outputs"] = dumps_or_none(run.outputs)
        return row

    def update_run(self, run_id: str, **changes: Any) -> None:
        if not changes:
            return
        for key in ("inputs", "output_columns", "outputs"):
            if key in changes:
                changes[key] = dumps_or_none(changes[key])
        sets = ", ".join(f"{name} = :{name}" for name in changes)
        params = {name: stored(value) for name, value in changes.items()}
        self.sql.run(f"UPDATE runs SET {sets} WHERE id = :run_id_", {**params, "run_id_": run_id})

    def _one_run(self, where: str, params: dict[str, Any]) -> Run | None:
        row = self.sql.one(f"SELECT * FROM runs WHERE {where} LIMIT 1", params)
        return Run.from_row(row) if row else None

    def get_run(self, run_id: str) -> Run | None:
        return self._one_run("id = :id", {"id": run_id})

    def run_by_dedupe_key(self, key: str) -> Run | None:
        return self._one_run("dedupe_key = :key", {"key": key})

    def run_by_request_id(self, request_id: str) -> Run | None:
        return self._one_run("request_id = :request_id", {"request_id": request_id})

    def find_run(self, ident: str) -> Run | None:
        """A run by its short reference, its run id or BitScale's request id, in any case
        (people copy them by hand, and some clients upper-case what they paste)."""
        ident = ident.strip().strip("`#").strip()
        if not ident:
            return None
        for candidate in dict.fromkeys((ident, ident.lower(), ident.upper())):
            run = self.run_by_request_id(candidate) or self.get_run(candidate)
            if run is not None:
                return run
        prefix = ident.lower()
        if len(prefix) >= REF_LENGTH and all(ch in "0123456789abcdef" for ch in prefix):
            # Run ids are lower-case hex, so every id with the prefix sorts below prefix+"g"
            # in any collation: an index range, not a scan.
            row = self.sql.one(
                "SELECT * FROM runs WHERE id >= :low AND id < :high "
                "ORDER BY created_at DESC LIMIT 1",
                {"low": prefix, "high": prefix + "g"},
            )
            return Run.from_row(row) if row else None
        return None

    def failure_streak(self, run: Run, look_back: int = 10) -> int:
        """How many of the grid's latest finished runs, this one included, failed the same
        way (the same code, and the same message once quoted values and numbers are
        ignored): a streak says trying again is unlikely to help."""
        rows = self.sql.query(
            "SELECT state, error_code, error_message FROM runs WHERE grid_id = :grid "
            "AND id != :id AND state IN ('completed', 'failed') AND finished_at IS NOT NULL "
            "ORDER BY finished_at DESC LIMIT :look_back",
            {"grid": run.grid_id, "id": run.id, "look_back": look_back},
        )
        mine = (run.error_code, failure_shape(run.error_message))
        streak = 1
        for row in rows:
            shape = (row["error_code"], failure_shape(row["error_message"]))
            if row["state"] != "failed" or shape != mine:
                break
            streak += 1
        return streak

    def recent_runs(self, user_id: str, limit: int = 10) -> list[Run]:
        # A batch's rows are reported by their batch, not one by one.
        rows = self.sql.query(
            "SELECT * FROM runs WHERE user_id = :user AND batch_id IS NULL "
            "ORDER BY created_at DESC LIMIT :limit",
            {"user": user_id, "limit": limit},
        )
        return [Run.from_row(r) for r in rows]

    def count_runs(self, where: str = "1 = 1", params: dict[str, Any] | None = None) -> int:
        return int(self.sql.scalar(f"SELECT COUNT(*) AS n FROM runs WHERE {where}", params))

    def all_runs(self) -> list[Run]:
        return [Run.from_row(r) for r in self.sql.query("SELECT * FROM runs ORDER BY created_at")]

    def claim(
        self,
        where: str,
        params: dict[str, Any],
        *,
        now: float,
        lease: float,
        limit: int,
        order_by: str = "created_at",
        extra_set: str = "",
    ) -> list[Run]:
        """Lease up to `limit` rows matching `where` in one statement, and return them.
        `where` and `extra_set` use named parameters; `claim_*` names are this method's."""
        sets = "lease_until = :claim_until" + (f", {extra_set}" if extra_set else "")
        # Rows another process is claiming this instant are skipped, not waited for.
        skip = " FOR UPDATE SKIP LOCKED" if self.postgres else ""
        sql = (
            f"UPDATE runs SET {sets} WHERE id IN (SELECT id FROM runs WHERE ({where}) "
            "AND (lease_until IS NULL OR lease_until <= :claim_now) "
            f"ORDER BY {order_by} LIMIT :claim_limit{skip}) RETURNING *"
        )
        claim = {"claim_until": now + lease, "claim_now": now, "claim_limit": limit}
        rows = self.sql.write(sql, {**params, **claim})
        return [Run.from_row(r) for r in rows]

    # --- small key-value tables ---------------------------------------------------------

    def cache_get(self, key: str, max_age: float, now: float | None = None) -> Any:
        row = self.sql.one("SELECT value, stored_at FROM cache WHERE key = :key", {"key": key})
        if row is None or (now or time.time()) - row["stored_at"] > max_age:
            return None
        return json.loads(row["value"])

    def cache_put(self, key: str, value: Any, now: float | None = None) -> None:
        row = {"key": key, "value": json.dumps(value), "stored_at": now or time.time()}
        self.sql.upsert("cache", row, "key")

    def alert_state(self, name: str) -> str | None:
        return self.sql.scalar("SELECT state FROM alerts WHERE name = :name", {"name": name})

    def set_alert_state(self, name: str, state: str) -> None:
        self.sql.upsert("alerts", {"name": name, "state": state, "changed_at": time.time()}, "name")

    def move_alert_state(self, name: str, old: str | None, new: str) -> bool:
        """Compare-and-set: True only for the one caller (in any process) that moved the
        alert from `old` to `new`; that caller alone sends the alert."""
        if old is None:
            row = {"name": name, "state": new, "changed_at": time.time()}
            return self.sql.insert("alerts", row, ignore_conflict=True)
        moved = self.sql.run(
            "UPDATE alerts SET state = :new, changed_at = :now WHERE name = :name AND state = :old",
            {"name": name, "old": old, "new": new, "now": time.time()},
        )
        return moved == 1

    def save_session(self, payload: dict[str, Any]) -> str:
        token = uuid.uuid4().hex
        now = time.time()
        with self.sql.transaction() as tx:
            tx.insert(
                "sessions", {"token": token, "payload": json.dumps(payload), "created_at": now}
            )
            tx.run("DELETE FROM sessions WHERE created_at < :cut", {"cut": now - 7 * 86400})
        return token

    def load_session(self, token: str) -> dict[str, Any] | None:
        payload = self.sql.scalar("SELECT payload FROM sessions WHERE token = :t", {"t": token})
        return json.loads(payload) if payload else None

    def remember_event(self, event_id: str) -> bool:
        """True the first time an event id is seen; False for Slack's redeliveries."""
        now = time.time()
        first = self.sql.insert(
            "seen_events", {"event_id": event_id, "seen_at": now}, ignore_conflict=True
        )
        if first:  # Slack stops redelivering within the hour; a day is plenty to remember
            self.sql.run("DELETE FROM seen_events WHERE seen_at < :cut", {"cut": now - 86400})
        return first
