"""SQLite via sqlite-utils: runs, the grid cache, alert state and modal sessions.

One connection per thread (sqlite3 objects may not cross threads), WAL so readers never
block the writer, a busy timeout so writers queue instead of failing, and work claimed in
single `UPDATE … RETURNING` statements so two workers never take the same row.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
import uuid
from dataclasses import fields
from pathlib import Path
from typing import Any

import sqlite_utils

from bot.store.access import is_read_only, read_only_text
from bot.store.engines import open_engine
from bot.store.run_record import (
    REF_LENGTH,
    Run,
    dumps_or_none,
    failure_shape,
)
from bot.store.schema import migrate
from bot.store.sql import Database

BUSY_TIMEOUT_SECONDS = 30


class StoreError(Exception):
    """The database cannot be used; the message says what to do."""


class Store:
    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self._local = threading.local()
        self._open_and_migrate()
        # Portable statements (see sql.py); the modules move onto it from `db()`.
        self.sql = Database(open_engine(self.path))

    # --- connections --------------------------------------------------------------------

    def db(self) -> sqlite_utils.Database:
        db = getattr(self._local, "db", None)
        if db is None:
            conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_SECONDS)
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_SECONDS * 1000}")
            db = self._local.db = sqlite_utils.Database(conn)
        return db

    def _open_and_migrate(self) -> None:
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            # Created owner-only before SQLite touches it: it may hold the API key.
            try:
                os.close(os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600))
            except OSError as exc:
                if not is_read_only(exc):
                    raise
                raise StoreError(read_only_text(self.path, exc)) from None
        try:
            db = self.db()
            status = db.execute("PRAGMA quick_check").fetchone()[0]
            if status != "ok":
                raise sqlite3.DatabaseError(status)
            db.enable_wal()
            migrate(db)
            self.restrict_file_modes()
        except sqlite3.DatabaseError as exc:
            if is_read_only(exc):
                raise StoreError(read_only_text(self.path, exc)) from None
            raise StoreError(
                f"The database file {self.path} cannot be read ({exc}). Restore it from a "
                "backup or point DATABASE_PATH at a new file; the bot will not start empty "
                "over it, because it may hold runs that are still owed to people."
            ) from None

    def restrict_file_modes(self) -> None:
        """The database and its WAL and shared-memory files: readable by the owner only
        (the API key stored by a rotation lives here)."""
        if self.path == ":memory:":
            return
        for suffix in ("", "-wal", "-shm"):
            try:
                os.chmod(self.path + suffix, 0o600)
            except FileNotFoundError:
                pass

    # --- runs ---------------------------------------------------------------------------

    def insert_run(self, run: Run) -> tuple[Run, bool]:
        """Insert unless a run with the same dedupe key exists; return (run, inserted)."""
        row = self._row(run)
        db = self.db()
        cursor = db.execute(
            f"INSERT OR IGNORE INTO runs ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
            list(row.values()),
        )
        db.conn.commit()
        if cursor.rowcount == 1:
            return run, True
        existing = self.run_by_dedupe_key(run.dedupe_key) if run.dedupe_key else None
        return (existing or run), False

    def _row(self, run: Run) -> dict[str, Any]:
        row = {f.name: getattr(run, f.name) for f in fields(run)}
        row["inputs"] = dumps_or_none(run.inputs)
        row["output_columns"] = dumps_or_none(run.output_columns)
        row["outputs"] = dumps_or_none(run.outputs)
        return row

    def update_run(self, run_id: str, **changes: Any) -> None:
        for key in ("inputs", "output_columns", "outputs"):
            if key in changes:
                changes[key] = dumps_or_none(changes[key])
        db = self.db()
        db["runs"].update(run_id, changes)
        db.conn.commit()

    def get_run(self, run_id: str) -> Run | None:
        rows = list(self.db()["runs"].rows_where("id = ?", [run_id], limit=1))
        return Run.from_row(rows[0]) if rows else None

    def run_by_dedupe_key(self, key: str) -> Run | None:
        rows = list(self.db()["runs"].rows_where("dedupe_key = ?", [key], limit=1))
        return Run.from_row(rows[0]) if rows else None

    def run_by_request_id(self, request_id: str) -> Run | None:
        rows = list(self.db()["runs"].rows_where("request_id = ?", [request_id], limit=1))
        return Run.from_row(rows[0]) if rows else None

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
            rows = self.db()["runs"].rows_where(
                "id >= ? AND id < ?", [prefix, prefix + "~"], order_by="created_at desc", limit=1
            )
            for row in rows:
                return Run.from_row(row)
        return None

    def failure_streak(self, run: Run, look_back: int = 10) -> int:
        """How many of the grid's latest finished runs, this one included, failed the same
        way (the same code, and the same message once quoted values and numbers are
        ignored): a streak says trying again is unlikely to help."""
        rows = (
            self.db()
            .execute(
                "SELECT state, error_code, error_message FROM runs WHERE grid_id = ? AND id != ? "
                "AND state IN ('completed', 'failed') AND finished_at IS NOT NULL "
                "ORDER BY finished_at DESC LIMIT ?",
                [run.grid_id, run.id, look_back],
            )
            .fetchall()
        )
        mine = (run.error_code, failure_shape(run.error_message))
        streak = 1
        for state, code, message in rows:
            if state != "failed" or (code, failure_shape(message)) != mine:
                break
            streak += 1
        return streak

    def recent_runs(self, user_id: str, limit: int = 10) -> list[Run]:
        # A batch's rows are reported by their batch, not one by one.
        rows = self.db()["runs"].rows_where(
            "user_id = ? AND batch_id IS NULL", [user_id], order_by="created_at desc", limit=limit
        )
        return [Run.from_row(r) for r in rows]

    def count_runs(self, where: str = "1", params: list[Any] | None = None) -> int:
        return self.db()["runs"].count_where(where, params or [])

    def all_runs(self) -> list[Run]:
        return [Run.from_row(r) for r in self.db()["runs"].rows_where(order_by="created_at")]

    def write(self, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
        """Run one write statement (with RETURNING, rows come back) and commit it."""
        db = self.db()
        cursor = db.execute(sql, params or [])
        names = [d[0] for d in cursor.description or []]
        rows = [dict(zip(names, row, strict=False)) for row in cursor.fetchall()]
        db.conn.commit()
        return rows

    def claim(
        self,
        where: str,
        params: list[Any],
        *,
        now: float,
        lease: float,
        limit: int,
        order_by: str = "created_at",
        extra_set: str = "",
    ) -> list[Run]:
        """Lease up to `limit` rows matching `where` in one statement, and return them."""
        sets = "lease_until = ?" + (f", {extra_set}" if extra_set else "")
        sql = (
            f"UPDATE runs SET {sets} WHERE id IN (SELECT id FROM runs WHERE ({where}) "
            f"AND (lease_until IS NULL OR lease_until <= ?) ORDER BY {order_by} LIMIT ?) "
            "RETURNING *"
        )
        rows = self.write(sql, [now + lease, *params, now, limit])
        return [Run.from_row(r) for r in rows]

    # --- small key-value tables ---------------------------------------------------------

    def cache_get(self, key: str, max_age: float, now: float | None = None) -> Any:
        rows = list(self.db()["cache"].rows_where("key = ?", [key], limit=1))
        if not rows:
            return None
        if (now or time.time()) - rows[0]["stored_at"] > max_age:
            return None
        return json.loads(rows[0]["value"])

    def cache_put(self, key: str, value: Any, now: float | None = None) -> None:
        db = self.db()
        db["cache"].upsert(
            {"key": key, "value": json.dumps(value), "stored_at": now or time.time()}, pk="key"
        )
        db.conn.commit()

    def alert_state(self, name: str) -> str | None:
        rows = list(self.db()["alerts"].rows_where("name = ?", [name], limit=1))
        return rows[0]["state"] if rows else None

    def set_alert_state(self, name: str, state: str) -> None:
        db = self.db()
        db["alerts"].upsert({"name": name, "state": state, "changed_at": time.time()}, pk="name")
        db.conn.commit()

    def save_session(self, payload: dict[str, Any]) -> str:
        token = uuid.uuid4().hex
        db = self.db()
        db["sessions"].insert(
            {"token": token, "payload": json.dumps(payload), "created_at": time.time()}
        )
        db.execute("DELETE FROM sessions WHERE created_at < ?", [time.time() - 7 * 86400])
        db.conn.commit()
        return token

    def load_session(self, token: str) -> dict[str, Any] | None:
        rows = list(self.db()["sessions"].rows_where("token = ?", [token], limit=1))
        return json.loads(rows[0]["payload"]) if rows else None

    def remember_event(self, event_id: str) -> bool:
        """True the first time an event id is seen; False for Slack's redeliveries."""
        now = time.time()
        rows = self.write(
            "INSERT OR IGNORE INTO seen_events (event_id, seen_at) VALUES (?, ?) "
            "RETURNING event_id",
            [event_id, now],
        )
        if rows:  # Slack stops redelivering within the hour; a day is plenty to remember
            self.write("DELETE FROM seen_events WHERE seen_at < ?", [now - 86400])
        return bool(rows)
