"""The watches' tables and all their SQL: the watches, each row's last known values, and the
firings, one row per (watch, scheduled time) so a second insert of the same firing is a
no-op, whoever makes it and however often.

SQL here runs on SQLite and PostgreSQL alike: `INSERT … ON CONFLICT … DO NOTHING RETURNING`,
claims as one `UPDATE … WHERE id IN (SELECT … LIMIT n) RETURNING`, epoch seconds as REAL,
ids as TEXT.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, fields
from typing import Any

from bot.store.database import Store
from bot.watches.schedule import Schedule

# awaiting_approval → active ⇄ paused; denied; deleted (kept for the audit's links).
LIVE_STATES = ("awaiting_approval", "active", "paused")
# A firing: starting → running → digested → done; or skipped (it did not start).
IN_FLIGHT = ("starting", "running", "digested")

WATCH_COLUMNS: dict[str, type] = {
    "id": str,
    "dedupe_key": str,  # the form that made it: submitted twice, saved once
    "owner": str,
    "team_id": str,
    "grid_id": str,
    "grid_name": str,
    "input_keys": str,  # JSON list, the grid inputs each row gives
    "outputs": str,  # JSON [{"id", "name"}] compared at each firing
    "schedule": str,  # JSON, see Schedule.to_json
    "channel_id": str,  # NULL: Only me (digests by DM)
    "only_changes": int,  # 1: no digest at all when nothing changed
    "state": str,
    "pause_code": str,
    "pause_reason": str,
    "rows": int,
    "cost_per_row": float,  # credits, estimated when saved; NULL when unknown
    "next_at": float,
    "last_firing_id": str,
    "last_result": str,  # a short line for the list and the Home tab
    "last_at": float,
    "thread_channel": str,
    "thread_ts": str,
    "created_at": float,
    "updated_at": float,
}
ROW_COLUMNS: dict[str, type] = {
    "watch_id": str,
    "row_key": str,  # the batch row digest of its inputs
    "position": int,
    "inputs": str,  # JSON
    "known": str,  # JSON {output id: value}: the last value seen; NULL before the first
    "known_at": float,
    "status": str,  # ok | failed, at the last firing
    "error": str,
}
FIRING_COLUMNS: dict[str, type] = {
    "id": str,
    "watch_id": str,
    "scheduled_at": float,
    "kind": str,  # scheduled | manual
    "missed": int,  # earlier slots this one catches up for (the bot was down)
    "state": str,
    "batch_id": str,
    "reason": str,  # why it was skipped
    "created_at": float,
    "started_at": float,
    "finished_at": float,
    "lease_until": float,
    "owner": str,  # the process holding the lease
    "digest": str,  # JSON, written with the baseline in one transaction
    "csv": str,  # the full diff and current table
    "post_attempted_at": float,
    "posted_at": float,
}


@dataclass
class Watch:
    id: str
    owner: str
    grid_id: str
    grid_name: str
    input_keys: list[str]
    outputs: list[dict[str, str]]
    schedule: Schedule
    state: str
    created_at: float
    channel_id: str | None = None
    only_changes: int = 0
    dedupe_key: str | None = None
    team_id: str | None = None
    pause_code: str | None = None
    pause_reason: str | None = None
    rows: int = 0
    cost_per_row: float | None = None
    next_at: float | None = None
    last_firing_id: str | None = None
    last_result: str | None = None
    last_at: float | None = None
    thread_channel: str | None = None
    thread_ts: str | None = None
    updated_at: float | None = None

    @property
    def monthly_credits(self) -> float | None:
        if self.cost_per_row is None:
            return None
        return self.rows * self.cost_per_row * self.schedule.per_month

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Watch:
        data = {f.name: row.get(f.name) for f in fields(cls)}
        data["input_keys"] = json.loads(row["input_keys"] or "[]")
        data["outputs"] = json.loads(row["outputs"] or "[]")
        data["schedule"] = Schedule.from_json(json.loads(row["schedule"]))
        data["only_changes"] = row.get("only_changes") or 0
        data["rows"] = row.get("rows") or 0
        return cls(**data)

    def to_row(self) -> dict[str, Any]:
        row = {f.name: getattr(self, f.name) for f in fields(self)}
        row["input_keys"] = json.dumps(self.input_keys)
        row["outputs"] = json.dumps(self.outputs, ensure_ascii=False)
        row["schedule"] = json.dumps(self.schedule.to_json())
        return row


@dataclass
class Firing:
    id: str
    watch_id: str
    scheduled_at: float
    kind: str
    state: str
    created_at: float
    missed: int = 0
    batch_id: str | None = None
    reason: str | None = None
    started_at: float | None = None
    finished_at: float | None = None
    lease_until: float | None = None
    owner: str | None = None
    digest: dict[str, Any] | None = None
    csv: str | None = None
    post_attempted_at: float | None = None
    posted_at: float | None = None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Firing:
        data = {f.name: row.get(f.name) for f in fields(cls)}
        data["digest"] = json.loads(row["digest"]) if row.get("digest") else None
        data["missed"] = row.get("missed") or 0
        return cls(**data)


@dataclass
class WatchRow:
    key: str
    position: int
    inputs: dict[str, str]
    known: dict[str, Any] | None
    status: str | None = None
    error: str | None = None


def migrate(store: Store) -> None:
    """Create the tables and their unique keys; safe at every start."""
    db = store.db()
    db["watches"].create(WATCH_COLUMNS, pk="id", not_null={"owner", "state"}, if_not_exists=True)
    db["watches"].create_index(["dedupe_key"], unique=True, if_not_exists=True)
    db["watches"].create_index(["state", "next_at"], if_not_exists=True)
    db["watch_rows"].create(ROW_COLUMNS, pk=("watch_id", "row_key"), if_not_exists=True)
    db["watch_firings"].create(FIRING_COLUMNS, pk="id", if_not_exists=True)
    # The exactly-once key: a firing is its watch and its scheduled time.
    db["watch_firings"].create_index(["watch_id", "scheduled_at"], unique=True, if_not_exists=True)
    db["watch_firings"].create_index(["state", "lease_until"], if_not_exists=True)
    db.conn.commit()


def new_id() -> str:
    return uuid.uuid4().hex[:16]


class WatchStore:
    def __init__(self, store: Store) -> None:
        self.store = store
        migrate(store)

    # --- watches ---------------------------------------------------------------------

    def insert(self, watch: Watch, rows: list[tuple[str, dict[str, str]]]) -> tuple[Watch, bool]:
        """Save a watch and its rows once per dedupe key; (watch, created)."""
        row = watch.to_row()
        got = self.store.write(
            f"INSERT INTO watches ({', '.join(row)}) VALUES ({', '.join('?' * len(row))}) "
            "ON CONFLICT (dedupe_key) DO NOTHING RETURNING id",
            list(row.values()),
        )
        if not got:
            existing = self.by_dedupe_key(watch.dedupe_key) if watch.dedupe_key else None
            return (existing or watch), False
        self.put_rows(watch.id, rows)
        return watch, True

    def put_rows(self, watch_id: str, rows: list[tuple[str, dict[str, str]]]) -> None:
        """Set the watch's rows: kept rows keep their last known values; new ones have none."""
        db = self.store.db()
        keys = [key for key, _ in rows]
        with db.conn:
            db.conn.executemany(
                "INSERT INTO watch_rows (watch_id, row_key, position, inputs) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (watch_id, row_key) DO UPDATE SET position = excluded.position",
                [
                    (watch_id, key, i, json.dumps(inputs, ensure_ascii=False))
                    for i, (key, inputs) in enumerate(rows)
                ],
            )
            kept = set(keys)
            gone = [k for k in self._row_keys(watch_id) if k not in kept]
            db.conn.executemany(
                "DELETE FROM watch_rows WHERE watch_id = ? AND row_key = ?",
                [(watch_id, k) for k in gone],
            )

    def _row_keys(self, watch_id: str) -> list[str]:
        cursor = self.store.db().execute(
            "SELECT row_key FROM watch_rows WHERE watch_id = ?", [watch_id]
        )
        return [r[0] for r in cursor.fetchall()]

    def get(self, watch_id: str) -> Watch | None:
        found = self._select("id = ?", [watch_id])
        return found[0] if found else None

    def by_dedupe_key(self, key: str) -> Watch | None:
        found = self._select("dedupe_key = ?", [key])
        return found[0] if found else None

    def owned_by(self, user_id: str | None) -> list[Watch]:
        """Live watches, one person's or (None) everyone's, oldest first."""
        marks = ", ".join("?" * len(LIVE_STATES))
        where, params = f"state IN ({marks})", list(LIVE_STATES)
        if user_id is not None:
            where += " AND owner = ?"
            params.append(user_id)
        return self._select(where, params)

    def due(self, now: float, limit: int = 500) -> list[Watch]:
        return self._select("state = 'active' AND next_at <= ?", [now], limit)

    def _select(self, where: str, params: list[Any], limit: int | None = None) -> list[Watch]:
        rows = self.store.db()["watches"].rows_where(
            where, params, order_by="created_at", limit=limit
        )
        return [Watch.from_row(r) for r in rows]

    def move(self, watch_id: str, from_states: tuple[str, ...], **changes: Any) -> Watch | None:
        """Change a watch only if it is in one of `from_states` (one statement, no race)."""
        if "schedule" in changes:
            changes["schedule"] = json.dumps(changes["schedule"].to_json())
        for key in ("outputs", "input_keys"):
            if key in changes:
                changes[key] = json.dumps(changes[key], ensure_ascii=False)
        sets = ", ".join(f"{k} = ?" for k in changes)
        marks = ", ".join("?" * len(from_states))
        rows = self.store.write(
            f"UPDATE watches SET {sets} WHERE id = ? AND state IN ({marks}) RETURNING *",
            [*changes.values(), watch_id, *from_states],
        )
        return Watch.from_row(rows[0]) if rows else None

    def advance(self, watch_id: str, seen_next_at: float, next_at: float) -> bool:
        """Move a watch's next firing on, only if nobody moved it since it was read."""
        rows = self.store.write(
            "UPDATE watches SET next_at = ? WHERE id = ? AND next_at = ? RETURNING id",
            [next_at, watch_id, seen_next_at],
        )
        return bool(rows)

    def rows(self, watch_id: str) -> list[WatchRow]:
        cursor = self.store.db().execute(
            "SELECT row_key, position, inputs, known, status, error FROM watch_rows "
            "WHERE watch_id = ? ORDER BY position",
            [watch_id],
        )
        return [
            WatchRow(key, pos, json.loads(inputs), json.loads(known) if known else None, s, e)
            for key, pos, inputs, known, s, e in cursor.fetchall()
        ]

    # --- firings ---------------------------------------------------------------------

    def add_firing(
        self, watch_id: str, scheduled_at: float, *, kind: str, missed: int, now: float
    ) -> Firing | None:
        """The firing of `watch_id` at `scheduled_at`, if this call made it; None when it
        already existed (another process, an earlier tick, a restart) — the exactly-once key."""
        firing = Firing(new_id(), watch_id, scheduled_at, kind, "starting", now, missed)
        got = self.store.write(
            "INSERT INTO watch_firings (id, watch_id, scheduled_at, kind, missed, state, "
            "created_at) VALUES (?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (watch_id, scheduled_at) DO NOTHING RETURNING id",
            [firing.id, watch_id, scheduled_at, kind, missed, "starting", now],
        )
        return firing if got else None

    def in_flight(self, watch_id: str) -> Firing | None:
        marks = ", ".join("?" * len(IN_FLIGHT))
        found = self._firings(
            f"watch_id = ? AND state IN ({marks})", [watch_id, *IN_FLIGHT], limit=1
        )
        return found[0] if found else None

    def firing(self, firing_id: str) -> Firing | None:
        found = self._firings("id = ?", [firing_id], limit=1)
        return found[0] if found else None

    def firings_of(self, watch_id: str, limit: int = 10) -> list[Firing]:
        rows = self.store.db()["watch_firings"].rows_where(
            "watch_id = ?", [watch_id], order_by="created_at DESC", limit=limit
        )
        return [Firing.from_row(r) for r in rows]

    def _firings(self, where: str, params: list[Any], limit: int | None = None) -> list[Firing]:
        rows = self.store.db()["watch_firings"].rows_where(
            where, params, order_by="created_at", limit=limit
        )
        return [Firing.from_row(r) for r in rows]

    def claim(
        self, state: str, *, me: str, now: float, lease: float, limit: int = 20
    ) -> list[Firing]:
        """Lease up to `limit` firings in `state` nobody holds, in one statement."""
        rows = self.store.write(
            "UPDATE watch_firings SET owner = ?, lease_until = ? WHERE id IN ("
            "SELECT id FROM watch_firings WHERE state = ? "
            "AND (lease_until IS NULL OR lease_until <= ?) ORDER BY created_at LIMIT ?) "
            "RETURNING *",
            [me, now + lease, state, now, limit],
        )
        return [Firing.from_row(r) for r in rows]

    def set_firing(self, firing_id: str, **changes: Any) -> None:
        if "digest" in changes and changes["digest"] is not None:
            changes["digest"] = json.dumps(changes["digest"], ensure_ascii=False)
        sets = ", ".join(f"{k} = ?" for k in changes)
        self.store.write(
            f"UPDATE watch_firings SET {sets} WHERE id = ?", [*changes.values(), firing_id]
        )

    def settle(
        self,
        firing_id: str,
        digest: dict[str, Any],
        csv_text: str,
        baseline: list[tuple[str, dict[str, Any] | None, str, str | None]],
        watch_id: str,
        now: float,
    ) -> bool:
        """Store the digest and the new last known values together, in one transaction:
        a crash leaves both old (the firing is digested again) or both new. `baseline`
        is (row key, values or None to keep the old ones, status, error)."""
        db = self.store.db()
        with db.conn:
            moved = db.conn.execute(
                "UPDATE watch_firings SET state = 'digested', digest = ?, csv = ?, "
                "finished_at = ?, lease_until = NULL WHERE id = ? AND state = 'running' "
                "RETURNING id",
                [json.dumps(digest, ensure_ascii=False), csv_text, now, firing_id],
            ).fetchall()
            if not moved:
                return False
            db.conn.executemany(
                "UPDATE watch_rows SET known = COALESCE(?, known), known_at = ?, status = ?, "
                "error = ? WHERE watch_id = ? AND row_key = ?",
                [
                    (
                        None if values is None else json.dumps(values, ensure_ascii=False),
                        now,
                        status,
                        error,
                        watch_id,
                        key,
                    )
                    for key, values, status, error in baseline
                ],
            )
        return True

    def batch_rows(self, batch_id: str) -> dict[str, tuple[str, dict[str, Any] | None, str | None]]:
        """A firing's batch's runs by row digest: (state, outputs, error)."""
        cursor = self.store.db().execute(
            "SELECT dedupe_key, state, outputs, error_message FROM runs WHERE batch_id = ?",
            [batch_id],
        )
        found = {}
        for key, state, outputs, error in cursor.fetchall():
            digest = (key or "").rsplit(":", 1)[-1]
            found[digest] = (state, json.loads(outputs) if outputs else None, error)
        return found
