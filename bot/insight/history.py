"""The credit history: every answer of GET /workspace kept as a reading.

A reading that says what the last one said (nobody spent anything) is not stored again:
the last one's `seen_until` moves on instead, so a quiet week is two timestamps on one
row, and the forecast still knows the history reaches to now. Readings are kept for
`KEEP_DAYS` (13 months and a little); store/retention.py prunes older ones.

Its SQL runs on SQLite and PostgreSQL alike: epoch seconds as REAL, ids as TEXT. Two
processes reading at once may both store a reading: harmless, the forecast reads spend
as differences.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable

from bot.insight.forecast import Forecast, Reading, forecast, spend_between
from bot.providers.bitscale.models import Workspace
from bot.store.database import Store

log = logging.getLogger(__name__)

DAY = 86400.0
KEEP_DAYS = 400  # at least 13 months (retention.py keeps the same number)

COLUMNS = "read_at, seen_until, remaining, used, total, plan, renews_at"


class CreditHistory:
    def __init__(self, store: Store, clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.clock = clock

    def record(self, workspace: Workspace) -> Reading:
        """Keep one answer of GET /workspace (de-duplicated against the last reading)."""
        now = self.clock()
        c = workspace.credits
        reading = Reading(
            now,
            c.remaining,
            c.used,
            c.total,
            now,
            workspace.plan.name,
            workspace.plan.next_billing_date,
        )
        last = self.latest()
        if last is not None and _same(last, reading):
            self.store.sql.run(
                "UPDATE credit_readings SET seen_until = :now "
                "WHERE read_at = :read_at AND seen_until < :now",
                {"now": now, "read_at": last.read_at},
            )
            return reading
        self.store.sql.insert("credit_readings", {"id": uuid.uuid4().hex, **_values(reading)})
        return reading

    def observe(self, workspace: Workspace) -> None:
        """For the BitScale client: record, and never let a database hiccup fail the read."""
        try:
            self.record(workspace)
        except Exception:  # noqa: BLE001 - losing one reading beats failing the caller
            log.exception("credit reading not stored")

    def latest(self) -> Reading | None:
        rows = self._select("ORDER BY read_at DESC LIMIT 1")
        return rows[0] if rows else None

    def readings(self, since: float | None = None) -> list[Reading]:
        """Readings in time order, from `since` (and the one before it, for the first
        difference) on."""
        if since is None:
            return self._select("ORDER BY read_at")
        at = {"since": since}
        before = self._select("WHERE read_at < :since ORDER BY read_at DESC LIMIT 1", at)
        return before + self._select("WHERE read_at >= :since ORDER BY read_at", at)

    def forecast(self, days: float = 35) -> Forecast:
        """The forecast from the last `days` of history (the forecast reads 28 whole days)."""
        return forecast(self.readings(self.clock() - days * DAY))

    def spent(self, start: float, end: float) -> int:
        """Credits spent between two times, as far as the readings tell."""
        readings = self.readings(start)
        total = 0.0
        for a, b in zip(readings, readings[1:], strict=False):
            if b.read_at <= a.last_seen:  # a change seen at one instant
                inside = 1.0 if start <= b.read_at < end else 0.0
            else:  # spread over the time between the two, as the forecast does
                overlap = min(end, b.read_at) - max(start, a.last_seen)
                inside = max(0.0, overlap) / (b.read_at - a.last_seen)
            total += spend_between(a, b) * inside
        return round(total)

    def _select(self, tail: str, params: dict | None = None) -> list[Reading]:
        rows = self.store.sql.query(f"SELECT {COLUMNS} FROM credit_readings {tail}", params)
        return [
            Reading(
                r["read_at"],
                r["remaining"],
                r["used"],
                r["total"],
                r["seen_until"],
                r["plan"],
                r["renews_at"],
            )
            for r in rows
        ]


def _same(a: Reading, b: Reading) -> bool:
    return (a.remaining, a.used, a.total, a.plan, a.renews_at) == (
        b.remaining,
        b.used,
        b.total,
        b.plan,
        b.renews_at,
    )


def _values(r: Reading) -> dict:
    return {
        "read_at": r.read_at,
        "seen_until": r.last_seen,
        "remaining": r.remaining,
        "used": r.used,
        "total": r.total,
        "plan": r.plan,
        "renews_at": r.renews_at,
    }
