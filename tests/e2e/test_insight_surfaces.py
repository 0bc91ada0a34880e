"""Issue 26 where the first end-to-end tests did not look: with an alert channel the
weekly digest goes there, once a week, whichever admin reaches Monday 09:00 first and even
after a restart; the admins' App Home shows the forecast and both charts, a rep's neither."""

from __future__ import annotations

import json

import pytest

from bot.playground.slack.records import wait_for
from bot.runs.reuse import input_key
from bot.store.run_record import Run, new_run_id
from tests.e2e.test_digest import (
    ANNE,
    BOB,
    DAY,
    digest_stack,
    spend_three_weeks,
    tick,
    utc,
)
from tests.e2e.test_home import home_text, open_home

ALERTS = "C0ALERTS"


@pytest.fixture
def stack(tmp_path):
    with digest_stack(tmp_path, credit_channel=ALERTS, credit_threshold=10) as s:
        yield s


def channel_digests(stack) -> list:
    return [m for m in stack.standin.posts(ALERTS) if "Weekly BitScale" in m.text]


def test_with_an_alert_channel_the_digest_goes_there_once_a_week(stack):
    spend_three_weeks(stack)
    monday = (2026, 11, 30)
    tick(stack, utc(*monday, 7, 59))
    assert channel_digests(stack) == []
    tick(stack, utc(*monday, 8, 0))  # 09:00 in Berlin: Anne is the first admin there
    (digest,) = channel_digests(stack)
    assert "credits run out *6 Feb*" in json.dumps(digest.blocks, ensure_ascii=False)  # en-GB
    stack.restart_bot()
    tick(stack, utc(*monday, 14, 0))  # 09:00 in New York: the channel has had its week
    assert len(channel_digests(stack)) == 1
    dms = [m for u in (ANNE, BOB) for m in stack.standin.posts("D" + u.lstrip("U"))]
    assert [m for m in dms if "Weekly BitScale" in m.text] == []
    tick(stack, utc(2026, 12, 7, 8, 0))  # the next Monday
    assert len(channel_digests(stack)) == 2


def record_runs(stack, days: int = 5) -> None:
    """Runs made in Slack on the last few days (the daily chart counts the bot's runs)."""
    grid = stack.sim.grid_named("Company Enrichment")
    for day in range(days):
        at = stack.now[0] - day * DAY - 3600
        inputs = {"company_name": f"Co {day}", "website": "co.io"}
        stack.bot.store.insert_run(
            Run(
                id=new_run_id(), grid_id=grid.id, target=grid.id, grid_name=grid.name,
                inputs=inputs, output_columns=None, user_id="U0ANA", channel_id="C0SALES",
                post_channel="C0SALES", state="completed", outputs={}, created_at=at,
                finished_at=at, notified_at=at, input_key=input_key(grid.id, inputs),
            )
        )  # fmt: skip


def test_the_admins_home_shows_the_forecast_and_both_charts(stack):
    spend_three_weeks(stack)
    record_runs(stack)
    open_home(stack, ANNE, "EvHomeAnne")
    wait_for(lambda: home_text(stack, ANNE))
    shown = home_text(stack, ANNE)
    assert "credits run out" in shown, shown
    assert "6 Feb" in shown  # the admin's locale
    view = stack.standin.home_views[ANNE]
    images = [b for b in view["blocks"] if b["type"] == "image"]
    assert len(images) == 2
    for image in images:
        assert stack.standin.files[image["slack_file"]["id"]]["content"][:4] == b"\x89PNG"
        assert image["alt_text"]
    assert "Credits left" in shown  # the chart's sentence beside it

    open_home(stack, "U0ANA", "EvHomeAna")
    rep = wait_for(lambda: home_text(stack, "U0ANA"))
    assert "credits run out" not in rep
    assert [b for b in stack.standin.home_views["U0ANA"]["blocks"] if b["type"] == "image"] == []
