"""Usage totals read from the runs table: rows per day for budgets, this month by person
and by grid for `/bitscale usage`.

One row asked of BitScale is one run row (a batch's rows are runs too). Answers reused
from a stored result (state `reused`) spent nothing: they are not counted as rows, but
counted on their own with the credits they saved (reuse.py). Days and months are UTC, so
every admin sees the same reset time.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from bot.store.database import Store

FAILED_STATES = ("failed", "expired", "interrupted")
NOT_SPENT = ("reused", "cancelled")  # answered from a stored result, or never sent
# Rows that cost credits: not reused, not cancelled, and not joined to an identical run in
# flight (a joined run shares that run's one request: it spent nothing of its own).
SPENT = "state NOT IN ('reused', 'cancelled') AND joined_to IS NULL"
# Rows answered for free: from a stored result, or by joining an identical run in flight.
SHARED = "(state = 'reused' OR (joined_to IS NOT NULL AND state != 'cancelled'))"
# Per-grid cost of one row, measured by the batch work when it exists; None = unknown yet.
CostPerRow = Callable[[str], float | None]


def day_start(now: float) -> float:
    d = datetime.fromtimestamp(now, timezone.utc)
    return d.replace(hour=0, minute=0, second=0, microsecond=0).timestamp()


def next_day_start(now: float) -> float:
    return day_start(now) + 86400


def month_start(now: float) -> float:
    d = datetime.fromtimestamp(now, timezone.utc)
    return d.replace(day=1, hour=0, minute=0, second=0, microsecond=0).timestamp()


@dataclass
class Totals:
    runs: int = 0
    rows: int = 0
    failed: int = 0
    credits: float | None = 0.0  # estimated; None when a grid's cost is not known yet
    reused: int = 0  # rows answered from an earlier result: nothing sent, nothing spent
    saved: float | None = 0.0  # credits those would have cost (estimated like `credits`)


@dataclass
class UsageReport:
    since: float
    by_person: dict[str, Totals] = field(default_factory=dict)
    by_grid: dict[str, Totals] = field(default_factory=dict)  # grid name → totals
    total: Totals = field(default_factory=Totals)


class Usage:
    def __init__(
        self,
        store: Store,
        clock: Callable[[], float] = time.time,
        cost_per_row: CostPerRow | None = None,
    ) -> None:
        self.store = store
        self.clock = clock
        self.cost_per_row = cost_per_row
        # The workspace budget counts today's rows before every run: an index range on
        # runs.created_at (idx_runs_created_at, in the schema), not a table scan.

    def rows_today(self, user_id: str | None = None) -> int:
        """Rows started since 00:00 UTC, by one person or (None) by everyone."""
        where = f"created_at >= :since AND {SPENT}"
        params: dict = {"since": day_start(self.clock())}
        if user_id is not None:
            where += " AND user_id = :user_id"
            params["user_id"] = user_id
        return self.store.sql.scalar(f"SELECT COUNT(*) FROM runs WHERE {where}", params)

    def rows_committed(self, user_id: str | None = None, *, except_batch: str | None = None) -> int:
        """What a budget counts: rows started today, plus the rows of recorded batches
        whose runs are not all there yet (held for approval, or being expanded): so two
        Starts, or a held batch and single runs, cannot both take the last rows. A held
        batch keeps its rows until it is decided, whatever day it was asked, since approved
        it spends them that day. `except_batch`: the batch being approved, asking for itself."""
        where = "b.state IN ('awaiting_approval', 'preparing') AND b.id != :except"
        params: dict = {"except": except_batch or ""}
        if user_id is not None:
            where += " AND b.user_id = :user_id"
            params["user_id"] = user_id
        waiting = (
            "COALESCE(b.runs_total, 0) - (SELECT COUNT(*) FROM runs r WHERE r.batch_id = b.id)"
        )
        reserved = self.store.sql.scalar(
            f"SELECT COALESCE(SUM(CASE WHEN {waiting} > 0 THEN {waiting} ELSE 0 END), 0) "
            f"FROM batches b WHERE {where}",
            params,
        )
        return self.rows_today(user_id) + int(reserved or 0)

    def today(self, user_id: str | None = None) -> UsageReport:
        """Since 00:00 UTC, by person and by grid (for the App Home's admin section)."""
        return self.since(day_start(self.clock()), user_id)

    def month(self, user_id: str | None = None) -> UsageReport:
        """This month so far, by person and by grid (one person's when `user_id`)."""
        return self.since(month_start(self.clock()), user_id)

    def since(self, since: float, user_id: str | None = None) -> UsageReport:
        # Most of a month is much of the table: a scan beats the created_at index there
        # ("+" keeps SQLite off it); a day is a short range of it (bench/policy.py).
        scan = self.clock() - since > 2 * 86400 and not self.store.sql.postgres
        column = "+created_at" if scan else "created_at"
        where = f"{column} >= :since AND {SPENT}"
        params: dict = {"since": since}
        if user_id is not None:
            where += " AND user_id = :user_id"
            params["user_id"] = user_id
        failed = ",".join(f"'{s}'" for s in FAILED_STATES)
        rows = self.store.sql.query(
            # A batch counts as one run of many rows; a single run is one run of one row.
            "SELECT user_id, grid_id, MAX(grid_name) AS grid_name, "
            "COUNT(DISTINCT COALESCE(batch_id, id)) AS runs, COUNT(*) AS count, "
            f"SUM(CASE WHEN state IN ({failed}) THEN 1 ELSE 0 END) AS failures "
            f"FROM runs WHERE {where} GROUP BY user_id, grid_id",
            params,
        )
        report = UsageReport(since)
        for row in rows:
            user, grid_id, grid_name = row["user_id"], row["grid_id"], row["grid_name"]
            runs, count, failures = row["runs"], row["count"], row["failures"]
            cost = self.cost_per_row(grid_id) if self.cost_per_row else None
            credits = None if cost is None else cost * count
            for totals in (
                report.by_person.setdefault(user, Totals()),
                report.by_grid.setdefault(grid_name or grid_id, Totals()),
                report.total,
            ):
                totals.runs += runs
                totals.rows += count
                totals.failed += failures or 0
                totals.credits = (
                    None if totals.credits is None or credits is None else totals.credits + credits
                )
        reused_where = where.replace(SPENT, SHARED)
        self._add_reused(report, reused_where, params)
        return report

    def _add_reused(self, report: UsageReport, where: str, params: dict) -> None:
        """Rows answered for free (reused, or joined to a run in flight) on their own: how
        many, and the credits they saved."""
        rows = self.store.sql.query(
            "SELECT user_id, grid_id, MAX(grid_name) AS grid_name, COUNT(*) AS count "
            f"FROM runs WHERE {where} GROUP BY user_id, grid_id",
            params,
        )
        for row in rows:
            user, grid_id, grid_name, count = (
                row["user_id"],
                row["grid_id"],
                row["grid_name"],
                row["count"],
            )
            cost = self.cost_per_row(grid_id) if self.cost_per_row else None
            saved = None if cost is None else cost * count
            for totals in (
                report.by_person.setdefault(user, Totals()),
                report.by_grid.setdefault(grid_name or grid_id, Totals()),
                report.total,
            ):
                totals.reused += count
                totals.saved = (
                    None if totals.saved is None or saved is None else totals.saved + saved
                )


def resets_in(now: float) -> str:
    """'in 5 h 12 min' until 00:00 UTC."""
    left = timedelta(seconds=int(next_day_start(now) - now))
    hours, rest = divmod(left.seconds, 3600)
    minutes = rest // 60
    return f"in {hours} h {minutes} min" if hours else f"in {minutes} min"
