"""The weekly digest's builder stays within Slack's limits whatever the week held, and its
schedule finds Monday 09:00 in the reader's zone."""

from __future__ import annotations

from datetime import datetime, timezone

from bot.insight.digest import DigestFacts, Failure, WaitingBatch, latest_slot
from bot.insight.drivers import Driver, Drivers
from bot.insight.forecast import forecast
from bot.slack.blocks.digest import digest_message


def facts(n: int) -> DigestFacts:
    long = "A grid with a very long name " * 20
    return DigestFacts(
        since=datetime(2026, 11, 23, tzinfo=timezone.utc).timestamp(),
        until=datetime(2026, 11, 30, tzinfo=timezone.utc).timestamp(),
        spent_this_week=1200,
        spent_last_week=1000,
        forecast=forecast([]),
        drivers=Drivers(0.0, [Driver(long, 10, 50.0)] * 3, [Driver("U0ANA", 10, None)] * 3),
        failures=[Failure(f"E{i}_" + "x" * 200, 3, "m" * 5000) for i in range(n)],
        reused_rows=4,
        saved_credits=20.0,
        waiting=[WaitingBatch("U0ANA", long, 500, 0.0) for _ in range(n)],
    )


def test_a_huge_week_fits_one_message():
    text, blocks = digest_message(facts(500), locale="en-US")
    assert len(blocks) <= 50 and len(text) <= 300
    for b in blocks:
        if b["type"] == "section":
            assert len(b["text"]["text"]) <= 3000
    shown = str(blocks)
    assert "1,200 (last week 1,000, +20%)" in shown
    assert "…and 492 more" in shown and "4 rows answered from earlier results" in shown
    assert "not enough history yet" in shown


def test_a_quiet_week_says_so():
    _, blocks = digest_message(facts(0))
    shown = str(blocks)
    assert "Failed runs:* none" in shown and "Waiting for approval:* nothing" in shown


def test_monday_nine_in_the_readers_zone():
    # Monday Nov 30, 08:30 UTC: past 09:00 in Berlin, not yet in New York.
    now = datetime(2026, 11, 30, 8, 30, tzinfo=timezone.utc).timestamp()
    berlin, new_york = latest_slot(now, "Europe/Berlin"), latest_slot(now, "America/New_York")
    assert berlin.week == "2026-W49"
    assert berlin.due_at == datetime(2026, 11, 30, 8, tzinfo=timezone.utc).timestamp()
    assert new_york.week == "2026-W48"
    assert new_york.due_at == datetime(2026, 11, 23, 14, tzinfo=timezone.utc).timestamp()
    assert latest_slot(now, "Not/AZone").week == "2026-W48"  # an unknown zone is UTC
