"""What `GET /healthz` answers: can the bot still use its database, and is its scheduler
still ticking. One line either way, so a host's health check (and its log) says why. The
answer names the kind of problem, never the database's path or URL (anyone who can reach
the port reads it); the log line adds where, without a password.

The database is asked by a probe of its backend: `SqliteProbe` (the file: gone, replaced,
read-only, cannot be written) or `PostgresProbe` (unreachable, read-only, pool exhausted),
each with `problem()` (None or one line) and `where` (for the log).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Protocol

from bot.store.database import Store
from bot.store.postgres_probe import PostgresProbe
from bot.store.sqlite_probe import SqliteProbe

log = logging.getLogger(__name__)

# A tick is late after this many intervals, and never sooner than STALE_FLOOR seconds: a
# busy 2-core host can hold a one-second tick back for a few seconds without harm.
STALE_TICKS = 5
STALE_FLOOR = 10.0
TICK_JOB = "runs"  # the scheduler job whose ticks count (scheduler.py)


class DatabaseProbe(Protocol):
    where: str

    def problem(self) -> str | None: ...


def probe_for(store: Store) -> DatabaseProbe:
    """The probe of the store's backend."""
    if store.postgres:
        return PostgresProbe(store.target, getattr(store.sql.engine, "pool_of_connections", None))
    return SqliteProbe(store.path or ":memory:")


class Health:
    def __init__(
        self,
        database: str | DatabaseProbe,
        *,
        tick_seconds: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        busy_timeout: float = 2.0,
    ) -> None:
        """`database`: a probe, or a SQLite file's path (probed by SqliteProbe)."""
        if isinstance(database, str):
            database = SqliteProbe(database, busy_timeout=busy_timeout)
        self.database = database
        self.clock = clock
        self.tick_seconds = tick_seconds
        self.stale_after = max(STALE_TICKS * tick_seconds, STALE_FLOOR)
        self._last_tick = clock()  # start-up counts: the first tick is due within one

    # --- the scheduler reports -------------------------------------------------------------

    def ticked(self) -> None:
        self._last_tick = self.clock()

    def on_job_event(self, event) -> None:
        """An APScheduler listener: a finished run tick counts (a failed one too: the
        scheduler is alive, and the failure is logged where it happened)."""
        if getattr(event, "job_id", None) == TICK_JOB:
            self.ticked()

    # --- the answer ------------------------------------------------------------------------

    def __call__(self) -> tuple[bool, str]:
        problem = self.database_problem() or self.scheduler_problem()
        if problem:
            log.warning("unhealthy: %s (%s)", problem, self.database.where)
        return problem is None, problem or "ok"

    def scheduler_problem(self) -> str | None:
        late = self.clock() - self._last_tick
        if late <= self.stale_after:
            return None
        return (
            f"scheduler stalled: no run tick for {late:.0f}s (due every {self.tick_seconds:g}s); "
            "runs are not being sent or polled: restart the bot"
        )

    def database_problem(self) -> str | None:
        return self.database.problem()
