"""The burn-rate forecast: from the credit history, how fast credits go and when they run out.

Pure: readings in, a `Forecast` out, the clock passed in. How it reasons:
- Spend between two readings is what `used` grew by (after a renewal resets `used`, what
  was used since the reset); a refill or a top-up is not negative spend. It is spread
  evenly over the time between the two readings, so a gap while the bot was down is not
  one huge day.
- Only whole UTC days inside the history count, the last `WINDOW_DAYS` of them. The last
  `RECENT_DAYS` weigh `RECENT_WEIGHT` times as much as the older ones.
- Working days (Mon–Fri) and weekends get rates of their own when the history shows they
  differ (by more than `SPLIT_MIN_GAP` of the larger and more than twice the standard
  error of the difference); the projection then steps through the calendar.
- The range is the rate ± two standard errors (the spread of the days around the rate,
  over √days). Honesty: with fewer than `MIN_DAYS` whole days, or a range wider than
  ±`MAX_RELATIVE_RANGE` of the rate, there is no date, only "not enough history yet".
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

DAY = 86400.0
MIN_DAYS = 7
WINDOW_DAYS = 28
RECENT_DAYS = 7
RECENT_WEIGHT = 2.0
SPLIT_MIN_GAP = 0.2
MAX_RELATIVE_RANGE = 0.5
HORIZON_DAYS = 731  # past two years, "not at this rate" is the honest answer

OK, SHORT, NOISY, IDLE = "ok", "short", "noisy", "idle"


@dataclass(frozen=True)
class Reading:
    """One distinct answer of GET /workspace, seen from `read_at` until `seen_until`."""

    read_at: float
    remaining: int
    used: int
    total: int
    seen_until: float | None = None
    plan: str | None = None
    renews_at: str | None = None  # the plan's next billing date, as BitScale sent it

    @property
    def last_seen(self) -> float:
        return self.seen_until if self.seen_until is not None else self.read_at


@dataclass(frozen=True)
class Rates:
    """Credits a day: one rate, or a working-day and a weekend rate."""

    weekday: float
    weekend: float

    @property
    def split(self) -> bool:
        return self.weekday != self.weekend

    def on(self, day: date) -> float:
        return self.weekend if day.weekday() >= 5 else self.weekday

    def scaled(self, factor: float) -> Rates:
        return Rates(self.weekday * factor, self.weekend * factor)

    @property
    def weekly_mean(self) -> float:
        return (5 * self.weekday + 2 * self.weekend) / 7


@dataclass(frozen=True)
class Forecast:
    status: str  # OK | SHORT (under MIN_DAYS) | NOISY (range too wide) | IDLE (nothing spent)
    days: int  # whole days of history used
    remaining: int | None = None
    as_of: float | None = None  # when `remaining` was last seen
    rates: Rates | None = None  # central burn rate (None unless OK or IDLE)
    run_out: date | None = None  # central run-out day; None when beyond the horizon
    run_out_early: date | None = None  # at the high end of the rate range
    run_out_late: date | None = None  # at the low end; None when beyond the horizon
    renews: date | None = None
    left_at_renewal: int | None = None  # credits left when the plan renews (central rate)
    relative_range: float | None = None  # the rate's ± as a fraction of it

    @property
    def has_date(self) -> bool:
        return self.status == OK

    @property
    def runs_out_before_renewal(self) -> bool:
        return (
            self.status == OK
            and self.run_out is not None
            and self.renews is not None
            and self.run_out < self.renews
        )


def utc_day(t: float) -> date:
    return datetime.fromtimestamp(t, timezone.utc).date()


def day_start(d: date) -> float:
    return datetime(d.year, d.month, d.day, tzinfo=timezone.utc).timestamp()


def parse_renewal(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


def spend_between(a: Reading, b: Reading) -> int:
    """Credits spent from reading `a` to reading `b`; a renewal resets `used`."""
    return b.used - a.used if b.used >= a.used else b.used


def daily_spend(readings: Sequence[Reading]) -> list[tuple[date, float]]:
    """Credits spent on each whole UTC day the history covers, oldest first."""
    if len(readings) < 1:
        return []
    by_day: dict[date, float] = {}
    for a, b in zip(readings, readings[1:], strict=False):
        spent = spend_between(a, b)
        if spent:
            _spread(by_day, spent, a.last_seen, b.read_at)
    first = readings[0].read_at
    last = readings[-1].last_seen
    days = []
    day = utc_day(first)
    if day_start(day) < first:
        day += timedelta(days=1)
    while day_start(day) + DAY <= last:
        days.append((day, by_day.get(day, 0.0)))
        day += timedelta(days=1)
    return days


def _spread(by_day: dict[date, float], amount: float, start: float, end: float) -> None:
    if end <= start:
        day = utc_day(end - 1e-6) if end > 0 else utc_day(end)
        by_day[day] = by_day.get(day, 0.0) + amount
        return
    t = start
    while t < end:
        day = utc_day(t)
        stop = min(end, day_start(day) + DAY)
        by_day[day] = by_day.get(day, 0.0) + amount * (stop - t) / (end - start)
        t = stop


def weighted_mean(days: Sequence[tuple[date, float]], newest: date) -> float:
    weights = [_weight(d, newest) for d, _ in days]
    return sum(w * s for w, (_, s) in zip(weights, days, strict=True)) / sum(weights)


def _weight(day: date, newest: date) -> float:
    return RECENT_WEIGHT if (newest - day).days < RECENT_DAYS else 1.0


def _variance(values: Sequence[float], centre: float) -> float:
    return sum((v - centre) ** 2 for v in values) / len(values) if values else 0.0


def burn_rates(days: Sequence[tuple[date, float]]) -> tuple[Rates, float]:
    """The central rates and the standard deviation of the days around them."""
    newest = days[-1][0]
    overall = weighted_mean(days, newest)
    weekdays = [(d, s) for d, s in days if d.weekday() < 5]
    weekends = [(d, s) for d, s in days if d.weekday() >= 5]
    if len(weekdays) >= 5 and len(weekends) >= 2:
        wd, we = weighted_mean(weekdays, newest), weighted_mean(weekends, newest)
        se_gap = math.sqrt(
            _variance([s for _, s in weekdays], wd) / len(weekdays)
            + _variance([s for _, s in weekends], we) / len(weekends)
        )
        gap = abs(wd - we)
        if gap > 0 and gap > 2 * se_gap and gap > SPLIT_MIN_GAP * max(wd, we):
            rates = Rates(wd, we)
            return rates, math.sqrt(_variance([s - rates.on(d) for d, s in days], 0.0))
    rates = Rates(overall, overall)
    return rates, math.sqrt(_variance([s for _, s in days], overall))


def project(
    rates: Rates, remaining: float, start: float, horizon: int = HORIZON_DAYS
) -> date | None:
    """The day cumulative spend from `start` reaches `remaining`; None past the horizon."""
    day = utc_day(start)
    if remaining <= 0:
        return day
    left = remaining
    portion = (day_start(day) + DAY - start) / DAY
    for _ in range(horizon):
        left -= rates.on(day) * portion
        if left <= 1e-9:
            return day
        day += timedelta(days=1)
        portion = 1.0
    return None


def spend_until(rates: Rates, start: float, end: float) -> float:
    total, t = 0.0, start
    while t < end:
        day = utc_day(t)
        stop = min(end, day_start(day) + DAY)
        total += rates.on(day) * (stop - t) / DAY
        t = stop
    return total


def forecast(readings: Sequence[Reading]) -> Forecast:
    """The forecast from readings in time order (see the module's docstring)."""
    if not readings:
        return Forecast(SHORT, 0)
    last = readings[-1]
    renewal = parse_renewal(last.renews_at)
    renews = renewal.date() if renewal is not None else None
    days = daily_spend(readings)[-WINDOW_DAYS:]
    base = {"remaining": last.remaining, "as_of": last.last_seen, "renews": renews}
    if len(days) < MIN_DAYS:
        return Forecast(SHORT, len(days), **base)
    rates, spread = burn_rates(days)
    centre = rates.weekly_mean
    if centre <= 0:
        return Forecast(IDLE, len(days), rates=rates, relative_range=0.0, **base)
    relative = 2 * spread / math.sqrt(len(days)) / centre
    if relative > MAX_RELATIVE_RANGE:
        return Forecast(NOISY, len(days), relative_range=relative, **base)
    start = last.last_seen
    left = None
    if renewal is not None and renewal.timestamp() > start:
        left = round(last.remaining - spend_until(rates, start, renewal.timestamp()))
    return Forecast(
        OK,
        len(days),
        rates=rates,
        run_out=project(rates, last.remaining, start),
        run_out_early=project(rates.scaled(1 + relative), last.remaining, start),
        run_out_late=project(rates.scaled(1 - relative), last.remaining, start),
        left_at_renewal=left,
        relative_range=relative,
        **base,
    )
