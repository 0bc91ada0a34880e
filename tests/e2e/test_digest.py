"""The weekly digest end to end on an injected clock: two admins without an alert channel
get it by DM at Monday 09:00 in their own time zones, with the chart uploaded and shown by
its image block; a restart on Monday morning does not send it twice; a week missed while
the bot was down is sent late, once; an admin who turned it off gets none."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone

import pytest

from bot.playground.rigs.stack import LocalStack, fast_stack
from bot.playground.simulators.bitscale import Simulator
from bot.providers.bitscale.transport import Priority

ANNE, BOB = "U0ANNE", "U0BOB"  # Berlin (UTC+1 in winter), New York (UTC-5)
START = datetime(2026, 11, 9, 10, tzinfo=timezone.utc).timestamp()  # a Monday
DAY = 86400.0


def utc(*args: int) -> float:
    return datetime(*args, tzinfo=timezone.utc).timestamp()


@contextmanager
def digest_stack(tmp_path, **options) -> Iterator[LocalStack]:
    """The stack with Anne and Bob as admins, on an insight clock the test moves
    (`stack.now[0]`, from START); `options` go to fast_stack."""
    now = [START]
    sim = Simulator("e2e-key", time_scale=100, rate_limit=200, credits_remaining=900)
    with fast_stack(
        tmp_path,
        simulator=sim,
        settings={"BITSCALE_BOT_ADMINS": f"{ANNE},{BOB}", "BITSCALE_RATE_LIMIT": "200"},
        insight_clock=lambda: now[0],
        **options,
    ) as s:
        s.now = now
        s.standin.add_user(ANNE, admin=True, tz="Europe/Berlin", locale="en-GB")
        s.standin.add_user(BOB, admin=True, tz="America/New_York", locale="en-US")
        yield s


@pytest.fixture
def stack(tmp_path):
    with digest_stack(tmp_path) as s:
        yield s


def spend_three_weeks(stack) -> None:
    grid = stack.sim.grid_named("Company Enrichment")
    stack.sim.state.next_billing_date = "2027-01-15T00:00:00Z"
    for day in range(21):  # two runs a day, 5 credits each; a check every day
        stack.now[0] = START + day * DAY
        for i in range(2):
            stack.bot.bitscale.run_grid(
                grid.id,
                {"company_name": f"Co {i}", "website": "co.io"},
                mode="sync",
                priority=Priority.INTERACTIVE,
            )
        stack.bot.credits.check()


def tick(stack, at: float) -> None:
    stack.now[0] = at
    job = next(j for j in stack.bot.jobs if j.name == "weekly-digest")
    assert job.singleton and job.every_seconds <= 60
    job.run()


def digests(stack, user: str) -> list:
    return [m for m in stack.standin.posts("D" + user.lstrip("U")) if "Weekly BitScale" in m.text]


def test_the_digest_comes_on_monday_at_nine_in_each_admins_zone_once(stack):
    spend_three_weeks(stack)  # to Sunday Nov 29
    monday = (2026, 11, 30)
    tick(stack, utc(*monday, 7, 59))  # 08:59 in Berlin
    assert digests(stack, ANNE) == [] and digests(stack, BOB) == []
    tick(stack, utc(*monday, 8, 0))  # 09:00 in Berlin, 03:00 in New York
    assert len(digests(stack, ANNE)) == 1 and digests(stack, BOB) == []

    message = digests(stack, ANNE)[0]
    shown = json.dumps(message.blocks, ensure_ascii=False)
    # Readings at 10:00 each day, 10 credits apart: Nov 23 08:00 to Nov 30 08:00 holds six
    # whole days and 2 of the 24 hours before the Nov 23 reading: 60.8; the week before, 70.
    assert "Credits used this week:* 61 (last week 70, -13%)" in shown
    assert "credits run out *6 Feb*" in shown and "renews *15 Jan*" in shown  # en-GB dates
    assert "Failed runs:* none" in shown and "Waiting for approval:* nothing" in shown
    images = [b for b in message.blocks if b["type"] == "image"]
    assert len(images) == 1  # one message, one picture
    record = stack.standin.files[images[0]["slack_file"]["id"]]
    assert record["content"][:4] == b"\x89PNG" and images[0]["alt_text"].startswith("Credits left")
    assert len(message.blocks) <= 50

    # A deploy on Monday morning: the new process does not send Anne's again.
    stack.restart_bot()
    tick(stack, utc(*monday, 8, 30))
    assert len(digests(stack, ANNE)) == 1
    tick(stack, utc(*monday, 14, 0))  # 09:00 in New York
    tick(stack, utc(*monday, 14, 1))
    assert len(digests(stack, ANNE)) == 1 and len(digests(stack, BOB)) == 1
    assert "Weekly BitScale digest" in digests(stack, BOB)[0].text

    # Bob turns his off; the bot is down from Sunday Dec 6 to Tuesday Dec 8: Anne's week
    # of Dec 7 comes late, once.
    assert stack.bot.insight.prefs.set_digest(BOB, False)
    tick(stack, utc(2026, 12, 8, 12))
    tick(stack, utc(2026, 12, 8, 12, 1))
    assert len(digests(stack, ANNE)) == 2 and len(digests(stack, BOB)) == 1
