"""A provider account's rate budget shared by every process on one PostgreSQL database.

Each budget has `rate` rows in `rate_slots`, one per request the account may start in its
window, each holding when it was last used on the database server's clock. Taking a slot
is one statement: the oldest slot last used a full window ago is locked (`FOR UPDATE SKIP
LOCKED`, so processes never queue behind each other) and stamped with
`clock_timestamp()`. A slot is reused only a full window after its last start, so however
many processes take, and however far their own clocks drift, no window of the server's
clock holds more than `rate` starts.

The budget's row in `rate_budgets` holds `paused_until` (a 429 seen by any process stops
them all for its Retry-After) and `urgent_until`: an interactive request holds background
takers everywhere back, until just after the next slot frees when it found none, or for a
moment after its own start (more people may be queued behind it in its process). So a
person's request goes first across the cluster, not only within its own process.

Both tables are UNLOGGED (revision 0003): a slot's commit sits between a request being
allowed and being sent, so it must not wait for the disk. After a server crash they come
back empty and the first taker rebuilds the slots.

PostgreSQL only (SQLite has exactly one process, whose own limiter is the whole budget), so
this module may use what only PostgreSQL speaks: `clock_timestamp()`, `GREATEST`,
`generate_series`. Errors reaching the database raise `DatabaseUnavailable` (sql.py);
the caller waits and asks again.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.store.sql import Database

NOW = "EXTRACT(EPOCH FROM clock_timestamp())::float8"

# One statement: take the oldest slot free on the server's clock, or say why none is free.
# Every CTE reads the snapshot from before the UPDATE: `oldest` is the soonest a slot frees
# when none was taken. `hold` runs although nothing reads it (PostgreSQL runs every
# data-modifying CTE to completion).
TAKE = f"""
WITH clock AS (SELECT {NOW} AS t),
gate AS (
    SELECT COALESCE(MAX(paused_until), 0) AS paused_until,
           COALESCE(MAX(urgent_until), 0) AS urgent_until
    FROM rate_budgets WHERE budget = :budget
),
newest AS (
    SELECT COALESCE(MAX(started_at), 0) AS started_at FROM rate_slots
    WHERE budget = :budget AND slot < :rate
),
free AS (
    SELECT s.slot FROM rate_slots s, clock, gate
    WHERE s.budget = :budget AND s.slot < :rate AND s.started_at <= clock.t - :window
      AND gate.paused_until <= clock.t AND (:urgent OR gate.urgent_until <= clock.t)
      AND (:urgent OR (SELECT started_at FROM newest) <= clock.t - :gap)
    ORDER BY s.started_at, s.slot LIMIT 1
    FOR UPDATE OF s SKIP LOCKED
),
taken AS (
    UPDATE rate_slots s SET started_at = {NOW} FROM free
    WHERE s.budget = :budget AND s.slot = free.slot
    RETURNING s.started_at
),
oldest AS (
    SELECT MIN(started_at) AS started_at FROM rate_slots
    WHERE budget = :budget AND slot < :rate
),
hold AS (
    UPDATE rate_budgets SET urgent_until = GREATEST(urgent_until, :hold + CASE
        WHEN EXISTS (SELECT 1 FROM taken) THEN (SELECT t FROM clock)
        ELSE (SELECT started_at FROM oldest) + :window END)
    WHERE budget = :budget AND :urgent
      AND (SELECT paused_until FROM gate) <= (SELECT t FROM clock)
    RETURNING urgent_until
)
SELECT (SELECT started_at FROM taken) AS started_at, clock.t AS now,
       gate.paused_until, gate.urgent_until, (SELECT started_at FROM oldest) AS oldest,
       (SELECT started_at FROM newest) AS newest,
       (SELECT COUNT(*) FROM rate_slots WHERE budget = :budget AND slot < :rate) AS slots
FROM clock, gate
"""

# An upsert: the tables are UNLOGGED (0003), so after a server crash the row may be gone.
PAUSE = f"""
INSERT INTO rate_budgets (budget, paused_until, urgent_until)
VALUES (:budget, {NOW} + :seconds, 0)
ON CONFLICT (budget) DO UPDATE
SET paused_until = GREATEST(rate_budgets.paused_until, excluded.paused_until)
RETURNING paused_until
"""

STATE = f"""
SELECT {NOW} AS now,
       (SELECT COALESCE(MAX(paused_until), 0) FROM rate_budgets WHERE budget = :budget)
           AS paused_until,
       (SELECT COUNT(*) FROM rate_slots WHERE budget = :budget AND slot < :rate
           AND started_at > {NOW} - :window) AS recent,
       (SELECT MIN(started_at) FROM rate_slots WHERE budget = :budget AND slot < :rate)
           AS oldest
"""

SOON = 0.002  # the free slot was locked by another taker this instant: ask again soon


@dataclass(frozen=True)
class Taken:
    """A slot's answer: `started_at` (server clock) when one was taken, else how long to
    wait before asking again; `now`: the server's clock when it was asked; `paused_until`:
    the end of a 429's pause in force then (0: none)."""

    started_at: float | None
    wait: float
    now: float = 0.0
    paused_until: float = 0.0


class RateBudget:
    """One provider account's budget in the database (see the module docstring)."""

    def __init__(
        self, db: Database, budget: str, rate: int, *, hold: float = 0.05, spread: float = 0.0
    ) -> None:
        self._db = db
        self.budget = budget  # a hash naming the account, never its key
        self.rate = rate
        self.hold = hold  # how long an interactive taker holds background takers back
        # Background starts at least `spread` × window/rate apart (0: bursts allowed): a
        # spent budget then frees a slot every fifth of a window, not all five at once a
        # window later, so a person arriving during a flood waits a fraction of a window.
        self.spread = spread
        self._ready = False

    @property
    def closed(self) -> bool:
        """The Store this budget lives in was closed: nobody will answer again."""
        pool = getattr(self._db.engine, "pool_of_connections", None)
        return bool(getattr(pool, "closed", False))

    def ensure(self) -> None:
        """The budget's row and its `rate` slots, made by whichever process comes first."""
        with self._db.transaction() as tx:
            tx.run(
                "INSERT INTO rate_budgets (budget, paused_until, urgent_until) "
                "VALUES (:budget, 0, 0) ON CONFLICT DO NOTHING",
                {"budget": self.budget},
            )
            tx.run(
                "INSERT INTO rate_slots (budget, slot, started_at) SELECT :budget, n, 0 "
                "FROM generate_series(0, :rate - 1) AS n ON CONFLICT DO NOTHING",
                {"budget": self.budget, "rate": self.rate},
            )
        self._ready = True

    def take(self, window: float, *, urgent: bool = False) -> Taken:
        """Start one request now if the cluster's budget allows it. `urgent`: a person is
        waiting; when no slot is free, background takers everywhere hold back for it."""
        if not self._ready:
            self.ensure()
        params = {
            "budget": self.budget,
            "rate": self.rate,
            "window": float(window),
            "urgent": bool(urgent),
            "hold": self.hold,
            "gap": self.spread * window / self.rate,
        }
        row = self._db.write(TAKE, params)[0]
        now = float(row["now"])
        if row["started_at"] is not None:
            return Taken(float(row["started_at"]), 0.0, now)
        if row["slots"] < self.rate:  # made by a process with a smaller rate, or deleted
            self.ensure()
            return Taken(None, 0.0, now)
        if row["paused_until"] > now:
            wait = float(row["paused_until"]) - now
            return Taken(None, wait, now, float(row["paused_until"]))
        if not urgent and row["urgent_until"] > now:
            wait = float(row["urgent_until"]) - now
        else:
            wait = float(row["oldest"]) + window - now
            if not urgent:
                wait = max(wait, float(row["newest"]) + params["gap"] - now)
            wait = max(SOON, wait)
        return Taken(None, wait, now)

    def pause(self, seconds: float) -> float:
        """Every process holds back for `seconds` from now (a 429's Retry-After); returns
        when the pause ends (server clock)."""
        rows = self._db.write(PAUSE, {"budget": self.budget, "seconds": float(seconds)})
        return float(rows[0]["paused_until"])

    def started_late(self, started_at: float, late: float) -> None:
        """The start stamped `started_at` left `late` seconds later: its slot is reused
        a full window after that (when the slot was taken again meanwhile, nothing)."""
        self._db.write(
            "UPDATE rate_slots SET started_at = started_at + :late "
            "WHERE budget = :budget AND slot < :rate AND started_at = :stamp",
            {"budget": self.budget, "rate": self.rate, "stamp": started_at, "late": late},
        )

    def state(self, window: float) -> tuple[int, float]:
        """(starts in the last `window` across the cluster, seconds until one may start)."""
        row = self._db.one(STATE, {"budget": self.budget, "rate": self.rate, "window": window})
        assert row is not None
        now = float(row["now"])
        wait = max(0.0, float(row["paused_until"]) - now)
        if row["recent"] >= self.rate and row["oldest"] is not None:
            wait = max(wait, float(row["oldest"]) + window - now)
        return int(row["recent"]), wait
