"""The numbers behind the two charts: credits left over the last 90 days (from the credit
history) and credits a day by grid over the last 30 (from the runs, estimated like the
usage report: rows times the grid's measured cost per row, or rows where none is known).

Bucketed in Python rather than in SQL, so the one query runs the same on SQLite and
PostgreSQL (they round and take remainders of REAL differently)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from bot.governance.usage import SPENT
from bot.insight.forecast import Forecast, Reading, utc_day
from bot.insight.history import CreditHistory
from bot.store.database import Store

DAY = 86400.0
OTHER = "Other grids"


@dataclass(frozen=True)
class RemainingSeries:
    points: list[tuple[float, int]]  # (epoch, credits left), a step line
    forecast: Forecast
    now: float


@dataclass(frozen=True)
class DailyByGrid:
    days: list[date]
    by_grid: dict[str, list[float]] = field(default_factory=dict)  # grid → one value a day
    unit: str = "credits"  # "credits" (estimated) or "rows" where no cost is known


def remaining_series(history: CreditHistory, now: float, days: int = 90) -> RemainingSeries:
    readings: list[Reading] = history.readings(now - days * DAY)
    start = now - days * DAY
    points: list[tuple[float, int]] = []
    for r in readings:
        points.append((max(start, r.read_at), r.remaining))
        if r.last_seen > r.read_at:
            points.append((max(start, r.last_seen), r.remaining))
    return RemainingSeries(points, history.forecast(), now)


def daily_by_grid(
    store: Store,
    now: float,
    cost_per_row: Callable[[str], float | None] | None,
    *,
    days: int = 30,
    top: int = 7,
) -> DailyByGrid:
    """Credits (or rows) a day for the `top` grids of the last `days`, the rest as one."""
    first = utc_day(now - (days - 1) * DAY)
    day_list = [date.fromordinal(first.toordinal() + i) for i in range(days)]
    index = {d: i for i, d in enumerate(day_list)}
    rows = store.sql.query(
        f"SELECT created_at, grid_id, grid_name FROM runs WHERE created_at >= :since AND {SPENT}",
        {"since": now - days * DAY},
    )
    counts: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0.0] * days)
    for row in rows:
        created_at, grid_id, grid_name = row["created_at"], row["grid_id"], row["grid_name"]
        i = index.get(utc_day(created_at))
        if i is not None:
            counts[(grid_id, grid_name or grid_id)][i] += 1
    costs = {key: cost_per_row(key[0]) if cost_per_row else None for key in counts}
    known = all(c is not None for c in costs.values())
    series: dict[str, list[float]] = defaultdict(lambda: [0.0] * days)
    for key, values in counts.items():
        factor = (costs[key] or 0.0) if known else 1.0
        line = series[key[1]]
        for i, v in enumerate(values):
            line[i] += v * factor
    ranked = sorted(series.items(), key=lambda item: sum(item[1]), reverse=True)
    by_grid = dict(ranked[:top])
    if len(ranked) > top:
        by_grid[OTHER] = [sum(v[i] for _, v in ranked[top:]) for i in range(days)]
    return DailyByGrid(day_list, by_grid, "credits" if known and counts else "rows")
