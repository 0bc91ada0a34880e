"""While a slow run runs, its announcement says so: "still running · 1 min 20 s".

Driven by the scheduler's tick, spoken through the notifier interface (no Slack here).
Slack allows roughly one `chat.update` per second per workspace (Tier 3: 50+ a minute),
so edits are throttled twice: each run at most every `every` seconds (every minute once
it has run five), and all runs together at most `per_minute` edits a minute.
"""

from __future__ import annotations

import logging
import statistics
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from typing import Protocol

from bot.store.database import Store
from bot.store.run_record import Run

log = logging.getLogger(__name__)

ACTIVE = "('queued', 'submitting', 'running')"


class ProgressNotifier(Protocol):
    def progress(self, run: Run, elapsed: float, usual: float | None) -> None: ...


class ProgressReporter:
    def __init__(
        self,
        store: Store,
        notifier: ProgressNotifier,
        *,
        clock: Callable[[], float] = time.time,
        first_after: float = 20.0,
        every: float = 20.0,
        slow_every: float = 60.0,
        slow_after: float = 300.0,
        per_minute: int = 40,
        pool: Executor | None = None,
    ) -> None:
        self.store = store
        self.notifier = notifier
        self.clock = clock
        self.first_after = first_after
        self.every = every
        self.slow_every = slow_every
        self.slow_after = slow_after
        self.per_minute = per_minute
        self._sent: deque[float] = deque()
        self._lock = threading.Lock()
        self._pool = pool or ThreadPoolExecutor(2, "progress")

    def tick(self) -> None:
        """Claim the runs whose announcement is due an edit, within the budget."""
        now = self.clock()
        with self._lock:
            while self._sent and self._sent[0] <= now - 60:
                self._sent.popleft()
            room = self.per_minute - len(self._sent)
        if room <= 0:
            return
        # Most ticks find nothing: look first without taking SQLite's write lock.
        due = self.store.sql.one(
            f"SELECT 1 AS due FROM runs WHERE state IN {ACTIVE} AND batch_id IS NULL "
            "AND message_ts IS NOT NULL AND created_at <= :first AND (progress_at IS NULL OR "
            "progress_at <= :every) LIMIT 1",
            {"first": now - self.first_after, "every": now - self.every},
        )
        if due is None:
            return
        # One statement claims and stamps them, so two ticks never edit the same run twice.
        rows = self.store.sql.write(
            f"UPDATE runs SET progress_at = :now WHERE id IN (SELECT id FROM runs "
            f"WHERE state IN {ACTIVE} AND batch_id IS NULL AND message_ts IS NOT NULL "
            "AND created_at <= :first AND (progress_at IS NULL OR progress_at <= "
            "CASE WHEN created_at <= :slow THEN :slow_every ELSE :every END) "
            "ORDER BY COALESCE(progress_at, 0) LIMIT :room) RETURNING id",
            {
                "now": now,
                "first": now - self.first_after,
                "slow": now - self.slow_after,
                "slow_every": now - self.slow_every,
                "every": now - self.every,
                "room": room,
            },
        )
        with self._lock:
            self._sent.extend([now] * len(rows))
        for row in rows:
            try:
                self._pool.submit(self._edit, row["id"])
            except RuntimeError:  # shutting down
                return

    def _edit(self, run_id: str) -> None:
        run = self.store.get_run(run_id)
        if run is None or run.finished:
            return
        try:
            self.notifier.progress(run, self.clock() - run.created_at, self.usual(run.grid_id))
            # The result may have landed while we edited: put the final state back.
            after = self.store.get_run(run_id)
            if after is not None and after.finished:
                self.notifier.progress(after, 0.0, None)
        except Exception as exc:  # noqa: BLE001 - progress is a courtesy; never fatal
            log.info("progress of run %s not shown: %s", run_id, exc)

    def usual(self, grid_id: str, samples: int = 20) -> float | None:
        """The grid's median run time over its latest completed runs (three at least)."""
        rows = self.store.sql.query(
            "SELECT finished_at - created_at AS took FROM runs WHERE grid_id = :grid "
            "AND state = 'completed' AND reused_from IS NULL AND finished_at IS NOT NULL "
            "ORDER BY finished_at DESC LIMIT :samples",
            {"grid": grid_id, "samples": samples},
        )
        times = [r["took"] for r in rows if r["took"] is not None and r["took"] >= 0]
        return statistics.median(times) if len(times) >= 3 else None

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
