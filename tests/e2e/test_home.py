"""App Home as a dashboard, for a rep and for an admin, kept current as runs finish."""

from __future__ import annotations

import json
import time

import pytest

from bot.batches.store import Batch
from bot.playground.rigs.stack import fast_stack
from bot.playground.slack.form_fill import form_values
from bot.playground.slack.records import wait_for


def home_text(stack, user: str) -> str:
    view = stack.standin.home_views.get(user)
    return json.dumps(view, ensure_ascii=False) if view else ""


def open_home(stack, user: str, event_id: str) -> None:
    event = {"type": "app_home_opened", "user": user, "tab": "home", "channel": "D0" + user}
    assert stack.driver.event(event, event_id).status_code == 200


def test_a_reps_home_follows_their_runs(stack):
    stack.bot.services.home.throttle.min_interval = 0.2  # keep the test quick
    open_home(stack, "U0ANA", "EvH1")
    first = wait_for(lambda: home_text(stack, "U0ANA"))
    assert "Run a grid" in first and "credits left" in first and "no runs yet" in first
    assert '"Admin"' not in first

    view = stack.driver.open_run_form("run Company Enrichment")
    stack.driver.submit(view, form_values(view, {"company_name": "Acme", "website": "acme.io"}))
    # republished when the run finishes, without the rep opening the tab again
    done = wait_for(
        lambda: "— completed" in home_text(stack, "U0ANA") and home_text(stack, "U0ANA")
    )
    assert "Company Enrichment" in done

    # someone who never opened the tab gets no publishes
    assert set(stack.standin.home_views) == {"U0ANA"}

    since = len(stack.standin.view_log)
    button = {"action_id": "home_run_grid", "type": "button", "value": "run"}
    stack.driver.click(button, view={"id": "VHU0ANA", "type": "home"})
    picker = wait_for(lambda: stack.standin.latest_view(since))
    assert picker["title"]["text"] == "Run a BitScale grid"


@pytest.fixture
def admin_stack(tmp_path):
    with fast_stack(tmp_path, settings={"BITSCALE_BOT_ADMINS": "U0ADMIN"}) as s:
        yield s


def test_an_admins_home_shows_today_and_pending_batches(admin_stack):
    stack = admin_stack
    services = stack.bot.services
    stack.bot.batches.store.insert(
        Batch(
            id="b1",
            grid_id="g",
            grid_name="Person Lookup",
            user_id="U0BOB",
            channel_id="C0SALES",
            file_name="conference.csv",
            file_id="nonexistent",
            encoding="utf-8",
            delimiter=",",
            headers=["full_name"],
            mapping={"full_name": "full_name"},
            outputs=[],
            state="awaiting_approval",
            created_at=time.time(),
            rows_total=5000,
        )
    )
    approval, _ = services.approvals.request(
        "batch",
        "b1",
        requester="U0BOB",
        grid_id="g",
        grid_name="Person Lookup",
        rows=5000,
        estimate=25000.0,
        channel_id="C0SALES",
    )
    view = stack.driver.open_run_form("run Email Finder")
    stack.driver.submit(view, form_values(view, {"company_domain": "acme.io"}))
    wait_for(lambda: stack.sim.runs_for("Email Finder"))

    open_home(stack, "U0ADMIN", "EvH2")
    admin = wait_for(lambda: home_text(stack, "U0ADMIN"))
    assert "*Today:* 1 run · 1 row" in admin and "1 person" in admin
    assert "Batches waiting for your approval (1)" in admin
    assert "<@U0BOB>" in admin and "conference.csv" in admin and "5,000 rows" in admin
    home = stack.standin.home_views["U0ADMIN"]
    buttons = [e for b in home["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert [(b["action_id"], b.get("value")) for b in buttons] == [
        ("approval_approve", approval.id),
        ("approval_deny", approval.id),
        ("home_admin_form", "admin"),
    ]

    # A rep's crafted click on Approve is refused and told so by DM; nothing is decided.
    stack.driver.click(buttons[0], view=home)
    assert "Only bot admins" in wait_for(lambda: stack.standin.posts("U0ANA"))[0].text
    assert services.approvals.get(approval.id).state == "pending"
    # The admin decides from Home (Deny: this test's batch has no file to start from);
    # the tab is published again without the request.
    admin_driver_user = {**stack.driver.user, "id": "U0ADMIN"}
    stack.driver.user, rep_user = admin_driver_user, stack.driver.user
    stack.driver.click(buttons[1], view=home)
    wait_for(lambda: services.approvals.get(approval.id).state != "pending")
    assert services.approvals.get(approval.id).decided_by == "U0ADMIN"
    wait_for(lambda: "waiting for your approval" not in home_text(stack, "U0ADMIN"))
    stack.driver.user = rep_user

    open_home(stack, "U0ANA", "EvH3")
    rep = wait_for(lambda: home_text(stack, "U0ANA"))
    assert '"Admin"' not in rep and "conference.csv" not in rep

    # The admin button: a polite no for a rep (checked on the click, not only in the UI)…
    since = len(stack.standin.view_log)
    stack.driver.click(buttons[2], view=home)
    refusal = wait_for(lambda: stack.standin.latest_view(since))
    assert "<@U0ADMIN>" in json.dumps(refusal["blocks"])
    # …and the admin form for the admin.
    since = len(stack.standin.view_log)
    stack.driver.user = admin_driver_user
    stack.driver.click(buttons[2], view=home)
    form = wait_for(lambda: stack.standin.latest_view(since, lambda v: v.get("callback_id")))
    assert form["callback_id"]
