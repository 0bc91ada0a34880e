"""All the watches' SQL: the watches, each row's last known values, and the firings, one row
per (watch, scheduled time) so a second insert of the same firing is a no-op, whoever makes
it and however often. The tables come from the Store's migrations (revision 0001).

Every statement goes through `store.sql` with named parameters, in SQL that SQLite and
PostgreSQL both speak: `INSERT … ON CONFLICT … DO NOTHING RETURNING`, and claims as one
`UPDATE … WHERE id IN (SELECT … LIMIT n) RETURNING`, which on PostgreSQL locks the rows it
picks and skips those another process is claiming that instant.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from bot.runs.recovery import INSTANCE_LEASE
from bot.store.database import Store
from bot.store.sql import Transaction, marks, stored
from bot.watches.records import IN_FLIGHT, LIVE_STATES, Firing, Watch, WatchRow

__all__ = ["IN_FLIGHT", "LIVE_STATES", "Firing", "Watch", "WatchRow", "WatchStore", "new_id"]


def new_id() -> str:
    return uuid.uuid4().hex[:16]


def _sets(changes: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """`col = :set_col, …` for an UPDATE, and its parameters (column names are the code's)."""
    sets = ", ".join(f"{name} = :set_{name}" for name in changes)
    return sets, {f"set_{name}": stored(value) for name, value in changes.items()}


class WatchStore:
    def __init__(self, store: Store) -> None:
        self.store = store

    # --- watches ---------------------------------------------------------------------

    def insert(self, watch: Watch, rows: list[tuple[str, dict[str, str]]]) -> tuple[Watch, bool]:
        """Save a watch and its rows, together, once per dedupe key; (watch, created)."""
        row = watch.to_row()
        names, values = ", ".join(row), ", ".join(f":{name}" for name in row)
        with self.store.sql.transaction() as tx:
            got = tx.write(
                f"INSERT INTO watches ({names}) VALUES ({values}) "
                "ON CONFLICT (dedupe_key) DO NOTHING RETURNING id",
                row,
            )
            if got:
                self._put_rows(tx, watch.id, rows)
        if not got:
            existing = self.by_dedupe_key(watch.dedupe_key) if watch.dedupe_key else None
            return (existing or watch), False
        return watch, True

    def put_rows(self, watch_id: str, rows: list[tuple[str, dict[str, str]]]) -> None:
        """Set the watch's rows: kept rows keep their last known values; new ones have none."""
        with self.store.sql.transaction() as tx:
            self._put_rows(tx, watch_id, rows)

    def _put_rows(
        self, tx: Transaction, watch_id: str, rows: list[tuple[str, dict[str, str]]]
    ) -> None:
        tx.run_many(
            "INSERT INTO watch_rows (watch_id, row_key, position, inputs) "
            "VALUES (:watch, :key, :position, :inputs) "
            "ON CONFLICT (watch_id, row_key) DO UPDATE SET position = excluded.position",
            [
                {"watch": watch_id, "key": key, "position": position,
                 "inputs": json.dumps(inputs, ensure_ascii=False)}
                for position, (key, inputs) in enumerate(rows)
            ],
        )  # fmt: skip
        kept = {key for key, _ in rows}
        existing = tx.query("SELECT row_key FROM watch_rows WHERE watch_id = :w", {"w": watch_id})
        tx.run_many(
            "DELETE FROM watch_rows WHERE watch_id = :w AND row_key = :key",
            [{"w": watch_id, "key": r["row_key"]} for r in existing if r["row_key"] not in kept],
        )

    def get(self, watch_id: str) -> Watch | None:
        found = self._select("id = :id", {"id": watch_id})
        return found[0] if found else None

    def by_dedupe_key(self, key: str) -> Watch | None:
        found = self._select("dedupe_key = :key", {"key": key})
        return found[0] if found else None

    def owned_by(self, user_id: str | None) -> list[Watch]:
        """Live watches, one person's or (None) everyone's, oldest first."""
        live, params = marks("live", LIVE_STATES)
        where = f"state IN ({live})"
        if user_id is not None:
            where += " AND owner = :owner"
            params["owner"] = user_id
        return self._select(where, params)

    def due(self, now: float, limit: int = 500) -> list[Watch]:
        return self._select("state = 'active' AND next_at <= :now", {"now": now}, limit)

    def _select(self, where: str, params: dict[str, Any], limit: int | None = None) -> list[Watch]:
        sql = f"SELECT * FROM watches WHERE {where} ORDER BY created_at"
        if limit is not None:
            sql, params = sql + " LIMIT :limit", {**params, "limit": limit}
        return [Watch.from_row(r) for r in self.store.sql.query(sql, params)]

    def move(self, watch_id: str, from_states: tuple[str, ...], **changes: Any) -> Watch | None:
        """Change a watch only if it is in one of `from_states` (one statement, no race)."""
        if "schedule" in changes:
            changes["schedule"] = json.dumps(changes["schedule"].to_json())
        for key in ("outputs", "input_keys"):
            if key in changes:
                changes[key] = json.dumps(changes[key], ensure_ascii=False)
        sets, params = _sets(changes)
        allowed, states = marks("from", from_states)
        rows = self.store.sql.write(
            f"UPDATE watches SET {sets} WHERE id = :id AND state IN ({allowed}) RETURNING *",
            {**params, **states, "id": watch_id},
        )
        return Watch.from_row(rows[0]) if rows else None

    def advance(self, watch_id: str, seen_next_at: float, next_at: float) -> bool:
        """Move a watch's next firing on, only if nobody moved it since it was read."""
        changed = self.store.sql.run(
            "UPDATE watches SET next_at = :next_at WHERE id = :id AND next_at = :seen",
            {"next_at": next_at, "id": watch_id, "seen": seen_next_at},
        )
        return changed > 0

    def rows(self, watch_id: str) -> list[WatchRow]:
        found = self.store.sql.query(
            "SELECT row_key, position, inputs, known, status, error FROM watch_rows "
            "WHERE watch_id = :w ORDER BY position",
            {"w": watch_id},
        )
        return [
            WatchRow(
                r["row_key"],
                r["position"],
                json.loads(r["inputs"]),
                json.loads(r["known"]) if r["known"] else None,
                r["status"],
                r["error"],
            )
            for r in found
        ]

    # --- firings ---------------------------------------------------------------------

    def add_firing(
        self, watch_id: str, scheduled_at: float, *, kind: str, missed: int, now: float
    ) -> Firing | None:
        """The firing of `watch_id` at `scheduled_at`, if this call made it; None when it
        already existed (another process, an earlier tick, a restart) — the exactly-once key."""
        firing = Firing(new_id(), watch_id, scheduled_at, kind, "starting", now, missed)
        made = self.store.sql.run(
            "INSERT INTO watch_firings (id, watch_id, scheduled_at, kind, missed, state, "
            "created_at) VALUES (:id, :watch, :at, :kind, :missed, 'starting', :now) "
            "ON CONFLICT (watch_id, scheduled_at) DO NOTHING",
            {
                "id": firing.id,
                "watch": watch_id,
                "at": scheduled_at,
                "kind": kind,
                "missed": missed,
                "now": now,
            },
        )
        return firing if made == 1 else None

    def in_flight(self, watch_id: str) -> Firing | None:
        flying, params = marks("state", IN_FLIGHT)
        found = self._firings(
            f"watch_id = :w AND state IN ({flying})", {**params, "w": watch_id}, limit=1
        )
        return found[0] if found else None

    def firing(self, firing_id: str) -> Firing | None:
        found = self._firings("id = :id", {"id": firing_id}, limit=1)
        return found[0] if found else None

    def firings_of(self, watch_id: str, limit: int = 10) -> list[Firing]:
        return self._firings("watch_id = :w", {"w": watch_id}, limit=limit, order="DESC")

    def _firings(
        self, where: str, params: dict[str, Any], *, limit: int, order: str = "ASC"
    ) -> list[Firing]:
        rows = self.store.sql.query(
            f"SELECT * FROM watch_firings WHERE {where} ORDER BY created_at {order} LIMIT :limit",
            {**params, "limit": limit},
        )
        return [Firing.from_row(r) for r in rows]

    def claim(
        self,
        state: str,
        *,
        me: str,
        now: float,
        lease: float,
        limit: int = 20,
        alive_at: float | None = None,
    ) -> list[Firing]:
        """Lease up to `limit` firings in `state` nobody holds, in one statement. Firings
        another process is claiming this instant are skipped, not waited for. A firing
        held by a process that is gone (its instance lease, renewed while it lives and
        released when it stops, has lapsed at `alive_at`, real time) is taken over at once
        rather than after its lease: starting and following may be done again safely.
        Posting and attaching are not taken over so (a process that only stalled past its
        heartbeat could be posting the digest that instant): they wait out the lease."""
        skip = " FOR UPDATE SKIP LOCKED" if self.store.postgres else ""
        gone = (
            "OR (owner != :me AND NOT EXISTS (SELECT 1 FROM leases WHERE leases.name = "
            ":prefix || watch_firings.owner AND leases.lease_until > :alive))"
            if state not in ("digested", "attaching")
            else ""
        )
        rows = self.store.sql.write(
            "UPDATE watch_firings SET owner = :me, lease_until = :until WHERE id IN ("
            "SELECT id FROM watch_firings WHERE state = :state "
            f"AND (lease_until IS NULL OR lease_until <= :now {gone}) "
            f"ORDER BY created_at LIMIT :limit{skip}) RETURNING *",
            {"me": me, "until": now + lease, "state": state, "now": now, "limit": limit,
             "prefix": INSTANCE_LEASE, "alive": time.time() if alive_at is None else alive_at},
        )  # fmt: skip
        return [Firing.from_row(r) for r in rows]

    def set_firing(self, firing_id: str, **changes: Any) -> None:
        if "digest" in changes and changes["digest"] is not None:
            changes["digest"] = json.dumps(changes["digest"], ensure_ascii=False)
        sets, params = _sets(changes)
        self.store.sql.run(
            f"UPDATE watch_firings SET {sets} WHERE id = :id", {**params, "id": firing_id}
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
        with self.store.sql.transaction() as tx:
            moved = tx.run(
                "UPDATE watch_firings SET state = 'digested', digest = :digest, csv = :csv, "
                "finished_at = :now, lease_until = NULL WHERE id = :id AND state = 'running'",
                {
                    "digest": json.dumps(digest, ensure_ascii=False),
                    "csv": csv_text,
                    "now": now,
                    "id": firing_id,
                },
            )
            if not moved:
                return False
            self._set_baseline(tx, watch_id, baseline, now)
        return True

    def _set_baseline(
        self,
        tx: Transaction,
        watch_id: str,
        baseline: list[tuple[str, dict[str, Any] | None, str, str | None]],
        now: float,
    ) -> None:
        tx.run_many(
            "UPDATE watch_rows SET known = COALESCE(:known, known), known_at = :now, "
            "status = :status, error = :error WHERE watch_id = :w AND row_key = :key",
            [
                {"known": None if values is None else json.dumps(values, ensure_ascii=False),
                 "now": now, "status": status, "error": error, "w": watch_id, "key": key}
                for key, values, status, error in baseline
            ],
        )  # fmt: skip

    def batch_rows(self, batch_id: str) -> dict[str, tuple[str, dict[str, Any] | None, str | None]]:
        """A firing's batch's runs by row digest: (state, outputs, error)."""
        found = {}
        for row in self.store.sql.query(
            "SELECT dedupe_key, state, outputs, error_message FROM runs WHERE batch_id = :b",
            {"b": batch_id},
        ):
            digest = (row["dedupe_key"] or "").rsplit(":", 1)[-1]
            outputs = json.loads(row["outputs"]) if row["outputs"] else None
            found[digest] = (row["state"], outputs, row["error_message"])
        return found
