"""The weekly digest's facts and its schedule: what an admin reads on Monday morning
(credits this week against last, the forecast, the top grids and people, failed runs by
reason, credits saved by reuse, batches waiting for approval) and when each week's digest
is due (Monday 09:00 in the reader's time zone).

Weeks are named by the ISO week of that Monday ("2026-W49"): the name a sent digest is
stored under (digest_sends.py), so the same week is never sent twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.governance.usage import FAILED_STATES
from bot.insight.drivers import Drivers
from bot.insight.forecast import Forecast
from bot.store.database import Store

DAY = 86400.0
WEEK = 7 * DAY
SEND_HOUR = 9  # Monday 09:00, the reader's time


@dataclass(frozen=True)
class Slot:
    week: str  # "2026-W49"
    due_at: float  # Monday 09:00 in the reader's zone, as a Unix time


def zone(tz: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(tz or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def latest_slot(now: float, tz: str | None) -> Slot:
    """The most recent Monday 09:00 (in `tz`) at or before `now`."""
    local = datetime.fromtimestamp(now, zone(tz))
    monday = (local - timedelta(days=local.weekday())).replace(
        hour=SEND_HOUR, minute=0, second=0, microsecond=0
    )
    if monday > local:
        monday -= timedelta(days=7)
    # Built from the date, so a week with a clock change still starts at 09:00 local.
    start = datetime(monday.year, monday.month, monday.day, SEND_HOUR, tzinfo=zone(tz))
    year, week, _ = start.isocalendar()
    return Slot(f"{year}-W{week:02d}", start.timestamp())


@dataclass(frozen=True)
class Failure:
    reason: str  # the error code BitScale gave, or how the run ended
    runs: int
    example: str  # one of the messages, for the reader to recognise it


@dataclass
class DigestFacts:
    since: float  # the start of "this week": seven days before the digest
    until: float
    spent_this_week: int
    spent_last_week: int
    forecast: Forecast
    drivers: Drivers
    failures: list[Failure] = field(default_factory=list)
    reused_rows: int = 0
    saved_credits: float | None = 0.0
    waiting: list[WaitingBatch] = field(default_factory=list)


@dataclass(frozen=True)
class WaitingBatch:
    requester: str  # a Slack user id
    grid_name: str
    rows: int
    since: float


def failures_by_reason(store: Store, since: float, until: float, top: int = 5) -> list[Failure]:
    """Runs that failed, expired or were interrupted in the time, most common reason first."""
    marks = ", ".join(f":s{i}" for i in range(len(FAILED_STATES)))
    params: dict = {f"s{i}": s for i, s in enumerate(FAILED_STATES)}
    params.update(since=since, until=until, top=top)
    reason = "COALESCE(NULLIF(error_code, ''), state)"
    rows = store.sql.query(
        f"SELECT {reason} AS reason, COUNT(*) AS n, MAX(COALESCE(error_message, '')) AS message "
        f"FROM runs WHERE state IN ({marks}) AND created_at >= :since AND created_at < :until "
        f"GROUP BY {reason} ORDER BY n DESC, reason LIMIT :top",
        params,
    )
    return [Failure(r["reason"], r["n"], r["message"]) for r in rows]
