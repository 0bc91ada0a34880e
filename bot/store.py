"""SQLite via sqlite-utils: runs, the grid cache, alert state and modal sessions.

One connection per thread (sqlite3 objects may not cross threads), WAL so readers never
block the writer, a busy timeout so writers queue instead of failing, and work claimed in
single `UPDATE … RETURNING` statements so two workers never take the same row.
"""

from __future__ import annotations

import functools
import json
import os
import re
import sqlite3
import threading
import time
import uuid
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import sqlite_utils

from bot.db_access import is_read_only, read_only_text

BUSY_TIMEOUT_SECONDS = 30

REF_LENGTH = 6  # of a run id's leading hex digits: a run's short reference
# `reused`: answered from a stored result (see reuse.py); nothing was sent to the provider.
FINAL_STATES = ("completed", "failed", "expired", "interrupted", "reused")
# Rows and callers from before there were several providers all ran BitScale grids.
LEGACY_PROVIDER = "bitscale"

RUN_COLUMNS: dict[str, type] = {
    "id": str,
    "dedupe_key": str,
    "provider": str,  # which provider runs it (bot/providers/)
    "target": str,  # what the provider runs: a grid id, a page URL
    "grid_id": str,  # BitScale's grid id ('' for other providers)
    "grid_name": str,  # the title people see
    "inputs": str,  # JSON object
    "output_columns": str,  # JSON list or NULL for all
    "user_id": str,
    "team_id": str,
    "channel_id": str,  # where it was asked for
    "thread_ts": str,  # the thread it was asked for in (a message shortcut, a mention)
    "source": str,  # form | shortcut | mention | workflow | …: which entry point started it
    "post_channel": str,  # where the announcement and thread live
    "message_ts": str,
    "post_thread_ts": str,  # the thread the result goes to when not message_ts's own
    "permalink": str,
    "fallback_reason": str,  # why the bot used a DM instead of the channel
    # queued → submitting → running → completed | failed | expired | interrupted;
    # or reused (answered from a stored result at once, nothing sent)
    "state": str,
    "request_id": str,  # the provider's handle to poll with
    "join_key": str,  # runs with the same key share one pending task
    "joined_to": str,  # the run whose task this one waits on
    "resubmits": int,  # times the provider dropped the task and it was sent again
    "counted_from": float,  # expiry counts from here: creation, or the end of a planned wait
    "mode": str,
    "outputs": str,  # JSON
    "error_code": str,
    "error_message": str,
    "created_at": float,
    "submit_after": float,
    "submitted_at": float,
    "finished_at": float,
    "next_poll_at": float,
    "poll_errors": int,
    "lease_until": float,
    "notify_attempted_at": float,
    "notify_next_at": float,
    "notify_attempts": int,
    "notified_at": float,
    "notify_error": str,
    "owner": str,  # the instance (bot process) that submitted it
    "late_after": str,  # a real result came after the run was given up as this state
    "progress_at": float,  # the announcement last said "still running" (bot/progress.py)
    "same_failures": int,  # a failed run: how many of the grid's runs in a row failed alike
    "input_key": str,  # provider + grid + normalised inputs, hashed (reuse.py)
    "reused_from": str,  # a reused row: the run whose result it shows
    "reused_from_user": str,
    "reused_from_at": float,
    "batch_id": str,  # set for a batch's rows: the batch reports them, not one by one
    "quiet": int,  # 1: post nothing in Slack; a workflow step takes the result
    "step_execution_id": str,  # the workflow step waiting for this run
    "step_attempts": int,
    "step_next_at": float,
    "step_completed_at": float,  # set once the step was completed or failed
    "step_error": str,
    # Timing, for learned durations (timings.py) and the exposure figures in bench/:
    "request_id_at": float,  # when the request id was stored (a crash can no longer lose it)
    "running_seen_at": float,  # the last time the provider said it was still running
    "first_poll_at": float,
    "polls": int,  # status polls made
}


class StoreError(Exception):
    """The database cannot be used; the message says what to do."""


@dataclass
class Run:
    id: str
    grid_id: str
    grid_name: str
    inputs: dict[str, Any]
    output_columns: list[str] | None
    user_id: str
    channel_id: str | None
    state: str
    created_at: float
    dedupe_key: str | None = None
    provider: str = LEGACY_PROVIDER
    target: str | None = None  # defaults to grid_id
    team_id: str | None = None
    thread_ts: str | None = None
    source: str | None = None
    post_channel: str | None = None
    message_ts: str | None = None
    post_thread_ts: str | None = None
    permalink: str | None = None
    fallback_reason: str | None = None
    request_id: str | None = None
    join_key: str | None = None
    joined_to: str | None = None
    resubmits: int = 0
    counted_from: float | None = None
    mode: str | None = None
    outputs: dict[str, Any] | None = None
    error_code: str | None = None
    error_message: str | None = None
    submit_after: float | None = None
    submitted_at: float | None = None
    finished_at: float | None = None
    next_poll_at: float | None = None
    poll_errors: int = 0
    lease_until: float | None = None
    notify_attempted_at: float | None = None
    notify_next_at: float | None = None
    notify_attempts: int = 0
    notified_at: float | None = None
    notify_error: str | None = None
    quiet: bool = False
    step_execution_id: str | None = None
    step_attempts: int = 0
    step_next_at: float | None = None
    step_completed_at: float | None = None
    step_error: str | None = None
    owner: str | None = None
    late_after: str | None = None
    same_failures: int = 0
    progress_at: float | None = None
    input_key: str | None = None
    reused_from: str | None = None
    reused_from_user: str | None = None
    reused_from_at: float | None = None
    batch_id: str | None = None
    request_id_at: float | None = None
    running_seen_at: float | None = None
    first_poll_at: float | None = None
    polls: int = 0

    @property
    def reused(self) -> bool:
        """Answered from a stored result: no credits spent, not fresh data."""
        return self.state == "reused"

    def __post_init__(self) -> None:
        if self.target is None:
            self.target = self.grid_id

    @property
    def finished(self) -> bool:
        return self.state in FINAL_STATES

    @property
    def ref(self) -> str:
        """The short reference people see and type (`/bitscale status 7F3A2C`)."""
        return self.id[:REF_LENGTH].upper()

    @property
    def reply_ts(self) -> str | None:
        """The thread the result is posted in: the one asked for, else the announcement's."""
        return self.post_thread_ts or self.message_ts

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Run:
        data = {name: row[name] for name in _run_fields() if name in row}
        data["inputs"] = json.loads(row.get("inputs") or "{}")
        data["output_columns"] = _loads(row.get("output_columns"))
        data["outputs"] = _loads(row.get("outputs"))
        data["poll_errors"] = row.get("poll_errors") or 0
        data["notify_attempts"] = row.get("notify_attempts") or 0
        data["step_attempts"] = row.get("step_attempts") or 0
        data["quiet"] = bool(row.get("quiet"))
        data["resubmits"] = row.get("resubmits") or 0
        data["polls"] = row.get("polls") or 0
        data["provider"] = row.get("provider") or LEGACY_PROVIDER
        data["same_failures"] = row.get("same_failures") or 0
        return cls(**data)


@functools.cache
def _run_fields() -> tuple[str, ...]:
    """Run's field names, looked up once (rows are read by the thousand in batches)."""
    return tuple(f.name for f in fields(Run))


def _loads(value: str | None) -> Any:
    return None if value is None else json.loads(value)


def _dumps(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False)


class Store:
    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self._local = threading.local()
        self._open_and_migrate()

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
            self._migrate(db)
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

    @staticmethod
    def _migrate(db: sqlite_utils.Database) -> None:
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
        db["cache"].create(
            {"key": str, "value": str, "stored_at": float}, pk="key", if_not_exists=True
        )
        db["alerts"].create(
            {"name": str, "state": str, "changed_at": float}, pk="name", if_not_exists=True
        )
        db["sessions"].create(
            {"token": str, "payload": str, "created_at": float}, pk="token", if_not_exists=True
        )
        db["seen_events"].create(
            {"event_id": str, "seen_at": float}, pk="event_id", if_not_exists=True
        )
        db["sessions"].create_index(["created_at"], if_not_exists=True)
        db["seen_events"].create_index(["seen_at"], if_not_exists=True)

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
        row["inputs"] = _dumps(run.inputs)
        row["output_columns"] = _dumps(run.output_columns)
        row["outputs"] = _dumps(run.outputs)
        return row

    def update_run(self, run_id: str, **changes: Any) -> None:
        for key in ("inputs", "output_columns", "outputs"):
            if key in changes:
                changes[key] = _dumps(changes[key])
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
        rows = self.db().execute(
            "SELECT state, error_code, error_message FROM runs WHERE grid_id = ? AND id != ? "
            "AND state IN ('completed', 'failed') AND finished_at IS NOT NULL "
            "ORDER BY finished_at DESC LIMIT ?",
            [run.grid_id, run.id, look_back],
        ).fetchall()
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


_VARYING = re.compile(r"'[^']*'|\"[^\"]*\"|“[^”]*”|\d+")


def failure_shape(message: str | None) -> str:
    """A failure message without the parts that vary from row to row."""
    return _VARYING.sub("…", message or "").strip().lower()


def new_run_id() -> str:
    return uuid.uuid4().hex[:16]
