"""The burn-rate forecast on synthetic histories, with the expected dates worked out by hand
in the comments (2026-11-23 and 2026-12-07 are Mondays)."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from bot.insight.forecast import (
    IDLE,
    NOISY,
    OK,
    SHORT,
    Rates,
    Reading,
    burn_rates,
    daily_spend,
    forecast,
    project,
)

TOTAL = 5000


def at(d: date, hour: int = 0) -> float:
    return datetime(d.year, d.month, d.day, hour, tzinfo=timezone.utc).timestamp()


def history(first: date, spends: list[float], *, left: int, renews: str | None = None):
    """Daily readings at midnight from `first`: `spends[i]` spent on day i; `left` credits
    remain at the last reading."""
    readings = []
    used = 1000
    remaining = left + sum(spends)
    for i in range(len(spends) + 1):
        day = date.fromordinal(first.toordinal() + i)
        readings.append(Reading(at(day), int(remaining), int(used), TOTAL, renews_at=renews))
        if i < len(spends):
            used += spends[i]
            remaining -= spends[i]
    return readings


def test_steady_burn_gives_one_date_and_the_credits_left_at_renewal():
    # 14 days of 100 a day, Nov 23 – Dec 6; 2,600 left at Dec 7 00:00 (a Monday).
    # 2,600 / 100 = 26 days counting Dec 7 itself: Dec 7 + 25 days = Jan 1.
    f = forecast(history(date(2026, 11, 23), [100] * 14, left=2600, renews="2026-12-20T00:00:00Z"))
    assert f.status == OK and f.days == 14
    assert f.rates == Rates(100, 100)
    assert f.run_out == f.run_out_early == f.run_out_late == date(2027, 1, 1)
    # Dec 7 → Dec 20 is 13 days of 100: 1,300 spent, 1,300 left.
    assert f.renews == date(2026, 12, 20) and f.left_at_renewal == 1300
    assert not f.runs_out_before_renewal


def test_running_out_before_renewal_is_flagged():
    f = forecast(history(date(2026, 11, 23), [100] * 14, left=2600, renews="2027-01-20T00:00:00Z"))
    assert f.run_out == date(2027, 1, 1) and f.runs_out_before_renewal
    # Dec 7 → Jan 20 is 44 days: 4,400 would be needed, 1,800 more than there are.
    assert f.left_at_renewal == -1800


def test_fewer_than_seven_days_is_not_enough_history():
    six = forecast(history(date(2026, 11, 30), [100] * 6, left=2600))
    assert six.status == SHORT and six.days == 6 and six.run_out is None
    seven = forecast(history(date(2026, 11, 30), [100] * 7, left=2600))
    assert seven.status == OK and seven.days == 7
    assert forecast([]).status == SHORT


def test_a_weekly_pattern_is_told_apart_and_stepped_through_the_calendar():
    # Four weeks from Mon Nov 9: 150 on working days, nothing at weekends; 2,000 left on
    # Mon Dec 7. Mon–Fri Dec 7–11 spend 750 (1,250 left), Dec 14–18 another 750 (500),
    # Mon 21 350, Tue 22 200, Wed 23 50, Thu Dec 24 runs out. One blended rate
    # (107.1 a day) would have said Dec 25.
    week = [150] * 5 + [0, 0]
    f = forecast(history(date(2026, 11, 9), week * 4, left=2000))
    assert f.status == OK
    assert f.rates == Rates(150, 0) and f.rates.split
    assert f.run_out == date(2026, 12, 24)
    blended = Rates(f.rates.weekly_mean, f.rates.weekly_mean)
    assert project(blended, 2000, at(date(2026, 12, 7))) == date(2026, 12, 25)


def test_a_big_spike_makes_the_history_too_noisy_for_a_date():
    # 13 days of 100 and a 1,500 yesterday: the weighted rate is 4,900 / 21 = 233.3, the
    # days spread 362 around it, ± two standard errors (2 · 362 / √14 = 193.5) is ±83%.
    f = forecast(history(date(2026, 11, 23), [100] * 13 + [1500], left=3000))
    assert f.status == NOISY and f.run_out is None
    assert f.relative_range == pytest.approx(0.83, abs=0.01)


def test_a_small_old_spike_widens_the_range():
    # 28 days of 100 with 600 on day 8 (Nov 16, outside the recent week): the rate is
    # (2 · 700 + 2,000 + 600) / 35 = 114.3, the spread 92.9, the range ±30.7%
    # (79.2 to 149.4 a day). From 3,000 on Dec 7: 3,000 / 114.3 = 26.3 → the 27th day,
    # Jan 2; 3,000 / 149.4 = 20.1 → the 21st day, Dec 27; 3,000 / 79.2 = 37.9 → the
    # 38th day, Jan 13.
    spends = [100] * 28
    spends[7] = 600
    f = forecast(history(date(2026, 11, 9), spends, left=3000))
    assert f.status == OK
    assert f.rates.weekday == pytest.approx(114.29, abs=0.01)
    assert f.relative_range == pytest.approx(0.307, abs=0.001)
    assert (f.run_out_early, f.run_out, f.run_out_late) == (
        date(2026, 12, 27),
        date(2027, 1, 2),
        date(2027, 1, 13),
    )


def test_a_refill_on_renewal_is_not_negative_spend():
    # 100 a day throughout; the plan renews at Dec 1 00:00: `used` restarts from 0 and
    # the total becomes 20,000 (the check before it, a second earlier, saw the old cycle's
    # end). On Dec 7, 19,400 are left: 194 days at 100, counting Dec 7 (Dec 7–31 is 25,
    # then 31 + 28 + 31 + 30 + 31 = 176 by May 31, 18 more): Jun 18.
    readings = []
    for i in range(15):
        day = date.fromordinal(date(2026, 11, 23).toordinal() + i)
        if day < date(2026, 12, 1):
            readings.append(Reading(at(day), 4000 - 100 * i, 1000 + 100 * i, TOTAL))
        else:
            since = (day - date(2026, 12, 1)).days
            readings.append(
                Reading(at(day), 20000 - 100 * since, 100 * since, 20000, renews_at="2027-01-01")
            )
    readings.insert(8, Reading(at(date(2026, 12, 1)) - 1, 3200, 1800, TOTAL))
    assert [s for _, s in daily_spend(readings)] == pytest.approx([100] * 14)
    f = forecast(readings)
    assert f.remaining == 19400
    assert f.status == OK
    assert f.run_out == date(2027, 6, 18)
    assert f.left_at_renewal == 19400 - 25 * 100


def test_a_top_up_is_not_spend_and_nothing_spent_is_idle():
    readings = [Reading(at(date(2026, 11, 23 + i)), 3000, 1000, 4000) for i in range(8)]
    readings.append(Reading(at(date(2026, 12, 1)), 8000, 1000, 9000))  # a top-up
    f = forecast(readings)
    assert f.status == IDLE and f.run_out is None and f.remaining == 8000


def test_spend_is_spread_over_a_gap_in_the_readings():
    # The bot was down from Nov 25 to Nov 28: the 300 spent shows as 100 a day.
    readings = [
        Reading(at(date(2026, 11, 24)), 1000, 0, 2000),
        Reading(at(date(2026, 11, 25)), 900, 100, 2000),
        Reading(at(date(2026, 11, 28)), 600, 400, 2000),
    ]
    assert daily_spend(readings) == [
        (date(2026, 11, 24), 100),
        (date(2026, 11, 25), 100),
        (date(2026, 11, 26), 100),
        (date(2026, 11, 27), 100),
    ]


def test_working_days_and_weekends_are_one_rate_when_they_do_not_differ():
    days = daily_spend(history(date(2026, 11, 9), [100, 110, 95, 105, 100, 98, 102] * 2, left=9))
    rates, _ = burn_rates(days)
    assert not rates.split
