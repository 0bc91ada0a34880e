"""Firing times in the creator's time zone: daily, weekly, monthly, through DST and month ends."""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from bot.watches.schedule import Schedule, ScheduleProblem, local_text


def at(text: str, tz: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(tz)).timestamp()


def local(instant: float, tz: str) -> str:
    return datetime.fromtimestamp(instant, ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M %Z")


def test_daily_fires_at_the_wall_time_the_next_day_once_past():
    s = Schedule("daily", "09:00", "America/New_York")
    assert local(s.next_after(at("2026-03-02T08:59", s.tz)), s.tz) == "2026-03-02 09:00 EST"
    assert local(s.next_after(at("2026-03-02T09:00", s.tz)), s.tz) == "2026-03-03 09:00 EST"


def test_weekly_on_monday_at_nine_keeps_nine_across_the_spring_change():
    s = Schedule("weekly", "09:00", "Europe/Berlin", weekday=0)
    first = s.next_after(at("2026-03-25T12:00", s.tz))  # a Wednesday
    second = s.next_after(first)
    assert local(first, s.tz) == "2026-03-30 09:00 CEST"  # DST began on Sunday the 29th
    assert local(s.last_at_or_before(first - 1), s.tz) == "2026-03-23 09:00 CET"
    assert local(second, s.tz) == "2026-04-06 09:00 CEST"
    assert first - s.last_at_or_before(first - 1) == 7 * 86400 - 3600  # a short week


def test_a_time_inside_the_spring_gap_fires_after_the_gap_once():
    s = Schedule("daily", "02:30", "Europe/Berlin")
    day_before = s.next_after(at("2026-03-28T03:00", s.tz))
    assert local(day_before, s.tz) == "2026-03-29 03:30 CEST"  # 02:30 does not exist
    assert local(s.next_after(day_before), s.tz) == "2026-03-30 02:30 CEST"


def test_a_time_that_happens_twice_in_autumn_fires_once_at_the_first():
    s = Schedule("daily", "01:30", "America/New_York")
    first = s.next_after(at("2026-11-01T00:00", s.tz))
    assert datetime.fromtimestamp(first, timezone.utc).strftime("%H:%M") == "05:30"  # EDT
    following = s.next_after(first)
    assert local(following, s.tz) == "2026-11-02 01:30 EST"
    assert following - first == 86400 + 3600  # the long day: never twice on the 1st


@pytest.mark.parametrize(
    ("day", "after", "expected"),
    [
        (31, "2026-04-01T00:00", "2026-04-30 08:00"),  # April has 30 days
        (31, "2026-04-30T09:00", "2026-05-31 08:00"),
        (30, "2027-02-01T00:00", "2027-02-28 08:00"),
        (29, "2028-02-01T00:00", "2028-02-29 08:00"),  # a leap year
        (1, "2026-12-15T00:00", "2027-01-01 08:00"),
    ],
)
def test_monthly_dates_past_the_month_end_fire_on_its_last_day(day, after, expected):
    s = Schedule("monthly", "08:00", "Asia/Tokyo", day=day)
    assert local(s.next_after(at(after, s.tz)), s.tz) == expected + " JST"


def test_a_zone_far_ahead_of_utc_gets_its_own_date():
    s = Schedule("daily", "07:00", "Pacific/Kiritimati")  # UTC+14
    utc_evening = datetime(2026, 6, 1, 16, 0, tzinfo=timezone.utc).timestamp()  # 06:00 there
    assert local(s.next_after(utc_evening), s.tz).startswith("2026-06-02 07:00")


def test_last_at_or_before_finds_the_slot_to_catch_up():
    s = Schedule("daily", "09:00", "UTC")
    now = at("2026-05-10T13:00", "UTC")
    assert local(s.last_at_or_before(now), "UTC") == "2026-05-10 09:00 UTC"
    assert s.last_at_or_before(at("2026-05-10T09:00", "UTC")) == at("2026-05-10T09:00", "UTC")


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"every": "hourly", "at": "09:00", "tz": "UTC"}, "daily, weekly or monthly"),
        ({"every": "daily", "at": "9am", "tz": "UTC"}, "HH:MM"),
        ({"every": "daily", "at": "09:00", "tz": "Mars/Olympus"}, "time zone"),
        ({"every": "weekly", "at": "09:00", "tz": "UTC"}, "day of the week"),
        ({"every": "monthly", "at": "09:00", "tz": "UTC", "day": 32}, "1 to 31"),
    ],
)
def test_a_schedule_that_cannot_be_kept_says_what_to_change(kwargs, words):
    with pytest.raises(ScheduleProblem, match=words):
        Schedule(**kwargs)


def test_words_and_round_trip():
    s = Schedule("weekly", "09:00", "Europe/Berlin", weekday=0)
    assert s.describe() == "every Monday at 09:00 (Europe/Berlin)"
    assert Schedule.from_json(s.to_json()) == s
    assert Schedule("monthly", "08:00", "UTC", day=31).describe().startswith(
        "on the 31st of every month"
    )
    assert round(Schedule("weekly", "09:00", "UTC", weekday=2).per_month, 2) == 4.35
    assert local_text(at("2026-03-30T09:00", s.tz), s.tz) == "Mon 30 Mar 09:00"
