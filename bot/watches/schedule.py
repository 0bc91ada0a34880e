"""When a watch fires: daily, weekly (a day) or monthly (a date), at a wall-clock time in
the creator's time zone. Pure: instants in, instants out (epoch seconds).

Wall-clock rules through daylight-saving changes (zoneinfo does the arithmetic):
- a time that does not exist that day (the spring-forward gap, 02:30 in Europe) fires at
  the same distance past the gap's start, read with the offset before the change (03:30);
- a time that happens twice (the autumn fall-back) fires once, at the first of the two;
- a monthly date past the month's end (the 31st in April) fires on the month's last day.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

FREQUENCIES = ("daily", "weekly", "monthly")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
# Firings per month, on average, for the cost: 365.25 / 12 days, / 7 for weeks.
PER_MONTH = {"daily": 365.25 / 12, "weekly": 365.25 / 12 / 7, "monthly": 1.0}
SEARCH_DAYS = 400  # any rule matches within a year and a month


class ScheduleProblem(ValueError):
    """A schedule that cannot be kept; the message says what to change."""


@dataclass(frozen=True)
class Schedule:
    every: str  # one of FREQUENCIES
    at: str  # "HH:MM", 24-hour wall-clock time
    tz: str  # an IANA time zone name, as Slack gives it ("Europe/Berlin")
    weekday: int | None = None  # weekly: 0 = Monday … 6 = Sunday
    day: int | None = None  # monthly: 1 … 31

    def __post_init__(self) -> None:
        if self.every not in FREQUENCIES:
            raise ScheduleProblem(f"Choose daily, weekly or monthly (not {self.every!r}).")
        self.wall_time()
        self.zone()
        if self.every == "weekly" and (self.weekday is None or not 0 <= self.weekday <= 6):
            raise ScheduleProblem("Choose the day of the week a weekly watch runs on.")
        if self.every == "monthly" and (self.day is None or not 1 <= self.day <= 31):
            raise ScheduleProblem("Choose the date (1 to 31) a monthly watch runs on.")

    def zone(self) -> ZoneInfo:
        try:
            return ZoneInfo(self.tz)
        except (ZoneInfoNotFoundError, ValueError):
            raise ScheduleProblem(f"I don't know the time zone {self.tz!r}.") from None

    def wall_time(self) -> time:
        try:
            hours, minutes = (int(part) for part in self.at.split(":"))
            return time(hours, minutes)
        except ValueError:
            raise ScheduleProblem(f"Give the time as HH:MM (not {self.at!r}).") from None

    # --- instants --------------------------------------------------------------------

    def next_after(self, instant: float) -> float:
        """The first firing strictly after `instant`."""
        zone = self.zone()
        start = datetime.fromtimestamp(instant, timezone.utc).astimezone(zone).date()
        for offset in range(-1, SEARCH_DAYS):  # from the day before: zones ahead of UTC
            at = self._instant_on(start + timedelta(days=offset), zone)
            if at is not None and at > instant:
                return at
        raise AssertionError("no firing within a year")  # every rule matches monthly

    def last_at_or_before(self, instant: float) -> float | None:
        """The latest firing at or before `instant` (None within the first year: never)."""
        zone = self.zone()
        start = datetime.fromtimestamp(instant, timezone.utc).astimezone(zone).date()
        for offset in range(1, -SEARCH_DAYS, -1):
            at = self._instant_on(start + timedelta(days=offset), zone)
            if at is not None and at <= instant:
                return at
        return None

    def _instant_on(self, day: date, zone: ZoneInfo) -> float | None:
        """The firing on local date `day`, or None when the rule skips that day."""
        if self.every == "weekly" and day.weekday() != self.weekday:
            return None
        if self.every == "monthly":
            assert self.day is not None
            last = calendar.monthrange(day.year, day.month)[1]
            if day.day != min(self.day, last):
                return None
        # fold=0: the first of a repeated hour, and the pre-change offset inside a gap
        local = datetime.combine(day, self.wall_time(), tzinfo=zone).replace(fold=0)
        return local.astimezone(timezone.utc).timestamp()

    # --- words -----------------------------------------------------------------------

    @property
    def per_month(self) -> float:
        return PER_MONTH[self.every]

    def describe(self) -> str:
        """"every Monday at 09:00 (Europe/Berlin)"."""
        when = f"at {self.at} ({self.tz})"
        if self.every == "daily":
            return f"every day {when}"
        if self.every == "weekly":
            assert self.weekday is not None
            return f"every {WEEKDAYS[self.weekday]} {when}"
        assert self.day is not None
        return f"on the {ordinal(self.day)} of every month {when}" + (
            " (or the month's last day)" if self.day > 28 else ""
        )

    def to_json(self) -> dict[str, object]:
        return {"every": self.every, "at": self.at, "tz": self.tz, "weekday": self.weekday,
                "day": self.day}

    @classmethod
    def from_json(cls, data: dict[str, object]) -> Schedule:
        return cls(
            every=str(data.get("every")),
            at=str(data.get("at")),
            tz=str(data.get("tz")),
            weekday=_int_or_none(data.get("weekday")),
            day=_int_or_none(data.get("day")),
        )


def local_text(instant: float, tz: str) -> str:
    """"Mon 2 Mar 09:00" in `tz`, for a person reading their own schedule."""
    local = datetime.fromtimestamp(instant, timezone.utc).astimezone(ZoneInfo(tz))
    return local.strftime("%a ") + f"{local.day} " + local.strftime("%b %H:%M")


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _int_or_none(value: object) -> int | None:
    if value is None or value == "":
        return None
    return int(value)  # type: ignore[call-overload]
