"""A month of credit checks, made by spending, on an injected clock: the history fills up,
`/bitscale credits` shows the forecast, and the forecast alert (turned on in the admin
form) comes once, naming the grid driving the spend."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from bot.playground.rigs.stack import SIGNING_SECRET, fast_stack
from bot.playground.simulators.bitscale import Simulator
from bot.playground.slack.driver import SlackDriver
from bot.playground.slack.form_fill import form_values
from bot.playground.slack.records import wait_for
from bot.providers.bitscale.transport import Priority

ADMIN = "U0ADMIN"
START = datetime(2026, 11, 2, 10, tzinfo=timezone.utc).timestamp()  # a Monday
DAY = 86400.0


@pytest.fixture
def stack(tmp_path):
    now = [START]
    # A month of checks and runs in seconds: a workspace allowed 200 requests a second.
    sim = Simulator("e2e-key", time_scale=100, rate_limit=200, credits_remaining=600)
    with fast_stack(
        tmp_path,
        simulator=sim,
        credit_channel="C0ALERTS",
        credit_threshold=10,
        settings={"BITSCALE_BOT_ADMINS": ADMIN, "BITSCALE_RATE_LIMIT": "200"},
        insight_clock=lambda: now[0],
    ) as s:
        s.now = now
        s.admin = SlackDriver(
            s.driver.url, SIGNING_SECRET, s.standin, user_id=ADMIN, user_name="admin"
        )
        yield s
        s.admin.close()


def turn_on_forecast_alert(stack) -> None:
    since = len(stack.standin.view_log)
    stack.admin.command("admin")
    view = wait_for(
        lambda: stack.standin.latest_view(since, lambda v: v.get("callback_id") == "admin_view")
    )
    checked = {"type": "checkboxes", "selected_options": [{"value": "on"}]}
    answer = stack.admin.submit(view, {"alert_forecast": {"value": checked}})
    assert "Forecast alert: on" in answer.text


def spend(stack, grid_id: str, runs: int) -> None:
    """Runs the simulator charges for, as any other client of the workspace would make."""
    for i in range(runs):
        stack.bot.bitscale.run_grid(
            grid_id,
            {"company_name": f"Co {i}", "website": "co.io"},
            mode="sync",
            priority=Priority.INTERACTIVE,
        )


def alerts(stack) -> list:
    return [m for m in stack.standin.posts("C0ALERTS") if "before the plan renews" in m.text]


def test_a_month_of_spending_gives_a_forecast_and_one_forecast_alert(stack):
    sim = stack.sim
    grid = sim.grid_named("Company Enrichment")
    sim.state.next_billing_date = "2027-01-15T00:00:00Z"
    turn_on_forecast_alert(stack)
    view = stack.driver.open_run_form("run Company Enrichment")  # a run in Slack, too
    stack.driver.submit(view, form_values(view, {"company_name": "Acme", "website": "acme.io"}))
    wait_for(lambda: stack.bot.store.count_runs("state = 'completed'") == 1)

    # The month passes on the test's clock: the scheduler's own credit checks (the first
    # comes 5 real seconds after start) would read between a day's two runs.
    stack.scheduler.pause()
    for day in range(30):  # two runs a day, 5 credits each; a check every day
        stack.now[0] = START + day * DAY
        spend(stack, grid.id, 2)
        stack.bot.credits.check()
        stack.bot.credits.check()  # nothing changed: the same reading, seen again

    stack.scheduler.resume()
    # One row per change, not per check (day 0 also has the checks made at start-up).
    history = [r for r in stack.bot.insight.history.readings() if r.read_at > START]
    assert len(history) == 29
    assert history[-1].last_seen == START + 29 * DAY
    forecast = stack.bot.insight.forecast()
    # 600 - 5 (the Slack run) - 30 · 10 = 295 left at Dec 1 10:00; at 10 a day, 5.8 go on
    # the rest of Dec 1 and 28.9 days more end on Dec 30, before the Jan 15 renewal.
    assert forecast.rates.weekday == pytest.approx(10)
    assert str(forecast.run_out) == "2026-12-30"
    assert forecast.runs_out_before_renewal
    # It said so from the first week of history on: alerted once, not once a check.
    sent = alerts(stack)
    assert len(sent) == 1
    text = json.dumps(sent[0].blocks)
    assert "Company Enrichment" in text and "What drives the spend" in text

    before = len(stack.standin.responses)
    assert stack.admin.command("credits")[0].status_code == 200
    reply = wait_for(lambda: len(stack.standin.responses) > before and stack.standin.responses[-1])
    shown = json.dumps(reply["blocks"], ensure_ascii=False)
    assert "credits run out" in shown and "Dec 30" in shown and "10 credits a day" in shown

    # The admin's /bitscale usage shows both charts: uploaded, and referenced by file id.
    # (The Slack run is dated on the test's clock, as the month's checks are.)
    stack.bot.store.sql.run("UPDATE runs SET created_at = :at", {"at": stack.now[0] - 3600})
    before = len(stack.standin.responses)
    stack.admin.command("usage")
    usage = wait_for(lambda: len(stack.standin.responses) > before and stack.standin.responses[-1])
    images = [b for b in usage["blocks"] if b["type"] == "image"]
    uploaded = {
        c.args.get("filename") for c in stack.standin.calls_to("files.getUploadURLExternal")
    }
    assert {"credits-left-90-days.png", "credits-by-grid-30-days.png"} <= uploaded
    assert len(images) == 2
    for image in images:
        record = stack.standin.files[image["slack_file"]["id"]]
        assert record["content"][:4] == b"\x89PNG" and image["alt_text"]
    assert "Credits left: 295 now" in json.dumps(usage["blocks"])
