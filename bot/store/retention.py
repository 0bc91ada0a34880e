"""Forget old runs and caches, so the database stops growing without end.

Only what nobody can need is deleted: a run in a final state, finished longer ago than
RUN_RETENTION_DAYS, older than its grid's result-reuse window (reuse reads old results to
answer the same question for free) and than the usage reports' month; a batch's rows only
once the batch has ended. Runs that are not final (still owed to someone) are never
touched. Caches are look-ups that are fetched again when missing. Credit readings (the
history the forecast and the charts read) are kept for 13 months and a little.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from bot.store.database import Store
from bot.store.file_retention import prune_batches
from bot.store.run_record import FINAL_STATES

log = logging.getLogger(__name__)

DAY = 86400.0
# Never shorter than this: "this month" usage and the daily budgets read runs.
MIN_DAYS = 35.0
CACHE_DAYS = 1.0  # the longest cache lifetime is hours (catalog.py)
BATCH_ENDED = ("done", "cancelled", "denied")  # batch_store.ENDED_STATES
CREDIT_HISTORY_DAYS = 400.0  # at least 13 months (insight/history.py's KEEP_DAYS)
CHUNK = 500  # rows deleted per statement: short write locks, other writers go between


@dataclass
class Pruned:
    runs: int = 0
    cache: int = 0
    readings: int = 0


class Retention:
    def __init__(
        self,
        store: Store,
        *,
        days: float,
        window_days: Callable[[str, str | None], float] = lambda grid_id, name: 0.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.days = days  # 0: keep runs for ever
        self.window_days = window_days  # a grid's result-reuse window (reuse.py)
        self.clock = clock

    @property
    def keep_days(self) -> float:
        return max(self.days, MIN_DAYS)

    def prune(self) -> Pruned:
        now = self.clock()
        pruned = Pruned()
        pruned.cache = self._delete(
            "DELETE FROM cache WHERE key IN (SELECT key FROM cache WHERE stored_at < :cut "
            "LIMIT :chunk)",
            {"cut": now - CACHE_DAYS * DAY},
        )
        if self.days > 0:
            for grid_id, grid_name in self._grids_with_old_runs(now - self.keep_days * DAY):
                days = max(self.keep_days, self.window_days(grid_id, grid_name))
                pruned.runs += self._delete_runs(grid_id, now - days * DAY)
        pruned.readings = self._delete(
            "DELETE FROM credit_readings WHERE id IN (SELECT id FROM credit_readings "
            "WHERE read_at < :cut LIMIT :chunk)",
            {"cut": now - CREDIT_HISTORY_DAYS * DAY},
        )
        ended_before = now - self.keep_days * DAY if self.days > 0 else None
        batches = prune_batches(self.store, ended_before=ended_before, now=now)
        if pruned.runs or pruned.cache or pruned.readings or batches.batches or batches.files:
            log.info(
                "retention: forgot %d old runs, %d cache entries, %d credit readings, "
                "%d ended batches and %d files",
                pruned.runs,
                pruned.cache,
                pruned.readings,
                batches.batches,
                batches.files,
            )
        return pruned

    def _old(self) -> str:
        states = ", ".join(f"'{s}'" for s in (*FINAL_STATES, "cancelled"))
        ended = ", ".join(f"'{s}'" for s in BATCH_ENDED)
        return (
            f"state IN ({states}) AND COALESCE(finished_at, created_at) < :cut "
            "AND (notify_next_at IS NULL OR notify_next_at < :cut) AND (batch_id IS NULL OR "
            f"batch_id IN (SELECT id FROM batches WHERE state IN ({ended})))"
        )

    def _grids_with_old_runs(self, cutoff: float) -> list[tuple[str, str | None]]:
        rows = self.store.sql.query(
            f"SELECT grid_id, MAX(grid_name) AS name FROM runs WHERE {self._old()} "
            "GROUP BY grid_id",
            {"cut": cutoff},
        )
        return [(row["grid_id"], row["name"]) for row in rows]

    def _delete_runs(self, grid_id: str, cutoff: float) -> int:
        return self._delete(
            "DELETE FROM runs WHERE id IN (SELECT id FROM runs WHERE grid_id = :grid AND "
            f"{self._old()} LIMIT :chunk)",
            {"grid": grid_id, "cut": cutoff},
        )

    def _delete(self, sql: str, params: dict) -> int:
        total = 0
        while True:
            count = self.store.sql.run(sql, {**params, "chunk": CHUNK})
            total += count
            if count < CHUNK:
                return total
