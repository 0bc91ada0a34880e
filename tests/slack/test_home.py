"""The Home tab: the dashboard builder and the publish throttle."""

from __future__ import annotations

import json
import math

from bot.providers.bitscale.models import Workspace
from bot.slack import blocks as kit
from bot.slack.home import Throttle, day_start
from tests.factories import make_run

WORKSPACE = Workspace.model_validate(
    {
        "name": "Acme",
        "plan": {"name": "Pro", "next_billing_date": "2026-12-01"},
        "credits": {"total": 50000, "used": 12000, "remaining": 38000},
        "people_company_searches": {"limit": 100, "used": 5, "remaining": 95},
    }
)


def test_a_reps_home_shows_runs_batches_credits_run_button_and_help():
    data = kit.HomeData(
        user_id="U0ANA",
        runs=[make_run(state="running", permalink="https://x/p1")],
        batches=[kit.BatchLine("b1", "Email Finder", "leads.csv", "running", 1.7e9, 40, 100, "C1")],
        workspace=WORKSPACE,
    )
    view = kit.home_view(data)
    text = json.dumps(view, ensure_ascii=False)
    assert view["type"] == "home" and len(view["blocks"]) <= 100
    assert "38,000 credits left" in text and "Run a grid" in text
    assert kit.HOME_RUN_ACTION in text
    assert "Company Enrichment" in text and "running" in text
    assert "Email Finder" in text and "40/100" in text and "leads.csv" in text
    assert "/bitscale run" in text  # the help
    assert '"Admin"' not in text


def test_an_admins_home_adds_today_and_approvals():
    pending = kit.BatchLine(
        "b2",
        "Person Lookup",
        "big.csv",
        "awaiting_approval",
        1.7e9,
        0,
        0,
        user_id="U0BOB",
        rows=5000,
    )
    admin = kit.AdminHome(
        runs_today=7,
        rows_today=120,
        failed_today=1,
        people_today=3,
        pending=[pending],
        approve_action="approval_approve",
        deny_action="approval_deny",
        pending_values={"b2": "ap-1"},
        admin_form=True,
    )
    view = kit.home_view(kit.HomeData(user_id="U0ADMIN", admin=admin, credits_problem="x"))
    text = json.dumps(view, ensure_ascii=False)
    assert "*Today:* 7 runs · 120 rows · 1 failed · 3 people" in text
    assert "<@U0BOB>" in text and "waiting for approval" in text and "5,000 rows" in text
    assert '"approval_approve"' in text and '"ap-1"' in text and '"approval_deny"' in text
    assert kit.HOME_ADMIN_ACTION in text
    assert "Credits: unknown right now" in text


def test_the_home_credits_gauge_shows_what_is_left_and_counts_read_as_words():
    view = kit.home_view(kit.HomeData(user_id="U0ANA", workspace=WORKSPACE))
    text = json.dumps(view, ensure_ascii=False)
    assert "38,000 credits left* of 50,000 · `█████████░░░`" in text  # 76% left, not 24%
    one = kit.AdminHome(runs_today=1, rows_today=1, failed_today=0, people_today=1)
    view = kit.home_view(kit.HomeData(user_id="U0ADMIN", admin=one, credits_problem="x"))
    assert "*Today:* 1 run · 1 row · 0 failed · 1 person" in json.dumps(view, ensure_ascii=False)


def test_a_huge_history_still_fits():
    runs = [make_run(id=f"r{i}") for i in range(10)]
    batches = [kit.BatchLine(f"b{i}", "G" * 300, "f" * 300, "done", 1.7e9, 5, 5) for i in range(5)]
    pending = [
        kit.BatchLine(f"p{i}", "G", "f.csv", "awaiting_approval", 1.7e9, 0, 0) for i in range(40)
    ]
    admin = kit.AdminHome(
        pending=pending,
        approve_action="a",
        deny_action="d",
        pending_values={f"p{i}": "v" for i in range(40)},
    )
    view = kit.home_view(kit.HomeData("U1", runs=runs, batches=batches, admin=admin))
    assert len(view["blocks"]) <= 100


def test_throttle_one_publish_per_person_per_interval_and_trailing():
    t = Throttle(min_interval=5, per_minute=90)
    t.request("U1", 0)
    assert t.take(0) == ("U1", 0.0)
    t.request("U1", 1)
    t.request("U1", 2)  # folds into the same trailing publish
    assert t.take(2) == (None, 3)
    assert t.take(5) == ("U1", 0.0)
    assert t.take(5) == (None, math.inf)


def test_throttle_keeps_the_whole_app_under_the_minute_limit():
    t = Throttle(min_interval=0, per_minute=3)
    for i in range(5):
        t.request(f"U{i}", 0)
    taken = [t.take(0)[0] for _ in range(3)]
    assert taken == ["U0", "U1", "U2"]
    assert t.take(10) == (None, 50)
    assert t.take(60)[0] == "U3"


def test_day_start_is_utc_midnight():
    assert day_start(1_700_000_000.0) == 1_699_920_000.0


def test_tabs_of_people_with_work_in_progress_are_refreshed(tmp_path):
    from types import SimpleNamespace

    from bot.slack.home import HomePublisher
    from bot.store.database import Store

    store = Store(tmp_path / "bot.db")
    services = SimpleNamespace(store=store, batches=None)
    home = HomePublisher(client=None, services=services)
    store.insert_run(make_run(id="r1", user_id="U0ANA", state="running"))
    store.insert_run(make_run(id="r2", user_id="U0BOB", state="running"))
    store.insert_run(make_run(id="r3", user_id="U0CAT", state="completed"))
    for user in ("U0ANA", "U0CAT"):
        home.opened(user)
    assert home.busy_viewers() == ["U0ANA"]  # Bob never opened the tab; Cat is idle
    home.changed("U0BOB")
    assert "U0BOB" not in home.throttle.pending
