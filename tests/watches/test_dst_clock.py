"""The leader's scheduling on an injected clock that runs through daylight-saving changes,
ticking as production does: every firing is at the creator's wall-clock time on both sides
of the change, starts within a minute of it, and the repeated autumn hour fires once."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from itertools import pairwise
from zoneinfo import ZoneInfo

from bot.watches.schedule import Schedule
from tests.watches.test_firings import firings, make


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def local(instant: float, tz: str) -> datetime:
    return datetime.fromtimestamp(instant, timezone.utc).astimezone(ZoneInfo(tz))


def run_clock(tmp_path, schedule: Schedule, start: str, days: int, tick: float = 30.0):
    """Tick the leader every `tick` seconds (as production does: WATCH_TICK_SECONDS is at
    most 30) for `days` days; each firing made, with the instant the tick that made it ran."""
    begin = datetime.fromisoformat(start).replace(tzinfo=ZoneInfo(schedule.tz)).timestamp()
    store = make(tmp_path, begin, schedule)
    clock = Clock(begin)
    leader = firings(store, clock)
    made = []
    end = begin + days * 86400
    while clock.now < end:
        made += [(f, clock.now) for f in leader.schedule_due()]
        # ten-minute strides while nothing is due within the hour (a quicker test)
        far = store.get("w1").next_at - clock.now > 3600
        clock.now += 600 if far else tick
    return store, made


def test_monday_nine_in_berlin_stays_nine_across_the_spring_change(tmp_path):
    schedule = Schedule("weekly", "09:00", "Europe/Berlin", weekday=0)
    # 29 March 2026: clocks go from 02:00 to 03:00; Mondays 23 and 30 March, 6 April
    store, made = run_clock(tmp_path, schedule, "2026-03-20T12:00", 18)
    assert [local(f.scheduled_at, schedule.tz).strftime("%a %d %b %H:%M %Z") for f, _ in made] == [
        "Mon 23 Mar 09:00 CET",
        "Mon 30 Mar 09:00 CEST",
        "Mon 06 Apr 09:00 CEST",
    ]
    gaps = [b.scheduled_at - a.scheduled_at for (a, _), (b, _) in pairwise(made)]
    assert gaps == [7 * 86400 - 3600, 7 * 86400]  # the changing week is an hour short
    assert all(0 <= ran - f.scheduled_at <= 60 for f, ran in made)  # on time
    assert all(f.missed == 0 for f, _ in made)
    assert len(store.firings_of("w1")) == 3


def test_a_daily_watch_in_the_repeated_autumn_hour_fires_once_that_night(tmp_path):
    schedule = Schedule("daily", "01:30", "America/New_York")
    # 1 November 2026: 01:00-02:00 happens twice; it fires at the first 01:30 (EDT) only
    _, made = run_clock(tmp_path, schedule, "2026-10-31T12:00", 3)
    shown = [local(f.scheduled_at, schedule.tz).strftime("%d %b %H:%M %Z") for f, _ in made]
    assert shown == ["01 Nov 01:30 EDT", "02 Nov 01:30 EST", "03 Nov 01:30 EST"]
    assert made[1][0].scheduled_at - made[0][0].scheduled_at == 86400 + 3600
    assert all(0 <= ran - f.scheduled_at <= 60 for f, ran in made)


def test_a_time_in_the_spring_gap_fires_once_just_after_it(tmp_path):
    schedule = Schedule("daily", "02:30", "America/New_York")
    # 8 March 2026: 02:00-03:00 does not exist; that day it fires at 03:30 EDT
    _, made = run_clock(tmp_path, schedule, "2026-03-07T12:00", 2)
    shown = [local(f.scheduled_at, schedule.tz).strftime("%d %b %H:%M %Z") for f, _ in made]
    assert shown == ["08 Mar 03:30 EDT", "09 Mar 02:30 EDT"]
    assert timedelta(seconds=made[1][0].scheduled_at - made[0][0].scheduled_at) == timedelta(
        hours=23
    )
