"""What drives the spend: the top grids and people over the last days, from the runs.

Credits per grid are estimates (a grid's cost per row is measured by batches); where a
grid's cost is not known yet, its rows say how much it was used, and the ranking falls
back to rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.governance.usage import Totals, Usage

DAY = 86400.0


@dataclass(frozen=True)
class Driver:
    name: str  # a grid's name, or a Slack user id for a person
    rows: int
    credits: float | None  # estimated; None when a grid's cost is not known yet


@dataclass(frozen=True)
class Drivers:
    since: float
    grids: list[Driver] = field(default_factory=list)
    people: list[Driver] = field(default_factory=list)
    total: Totals = field(default_factory=Totals)


def _rank(totals: dict[str, Totals], top: int) -> list[Driver]:
    ranked = sorted(
        totals.items(),
        key=lambda item: (item[1].credits is not None, item[1].credits or 0, item[1].rows),
        reverse=True,
    )
    return [Driver(name, t.rows, t.credits) for name, t in ranked if t.rows][:top]


def top_drivers(usage: Usage, now: float, *, days: float = 7, top: int = 3) -> Drivers:
    """The `top` grids and people of the last `days` days, most credits (or rows) first."""
    report = usage.since(now - days * DAY)
    return Drivers(
        report.since, _rank(report.by_grid, top), _rank(report.by_person, top), report.total
    )
