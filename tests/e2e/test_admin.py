"""Admin from Slack, end to end: who is an admin, the admin form, audit, usage, key
rotation. Every control is driven as an admin and, with a crafted payload, as not one."""

from __future__ import annotations

import json
import logging
import os
import stat
import time

import httpx
import pytest

from bot.governance.keys import KeyStore
from bot.governance.policy import ALERT_CHANNEL, PERSON_BUDGET
from bot.playground.rigs.stack import SIGNING_SECRET, LocalStack, fast_stack
from bot.playground.simulators.bitscale import Simulator
from bot.playground.slack.driver import SlackDriver
from bot.playground.slack.form_fill import form_values
from bot.playground.slack.records import wait_for
from bot.slack.blocks.admin import PERSON_BLOCK
from tests.e2e.test_commands import blocks_text, saying

ADMIN = "U0ADMIN"
GRID = "Company Enrichment"


@pytest.fixture
def stack(tmp_path):
    with fast_stack(
        tmp_path, credit_channel="C0ALERTS", settings={"BITSCALE_BOT_ADMINS": f"{ADMIN}, U0SECOND"}
    ) as s:
        s.admin = SlackDriver(
            s.driver.url, SIGNING_SECRET, s.standin, user_id=ADMIN, user_name="admin"
        )
        yield s
        s.admin.close()


def admin_reply(stack, driver, text):
    before = len(stack.standin.responses)
    answer, _, _ = driver.command(text)
    if answer.text:  # answered inside the ack
        return json.loads(answer.text)
    return wait_for(lambda: len(stack.standin.responses) > before and stack.standin.responses[-1])


def open_admin_form(stack, driver=None):
    since = len(stack.standin.view_log)
    (driver or stack.admin).command("admin")
    return wait_for(
        lambda: stack.standin.latest_view(since, lambda v: v.get("callback_id") == "admin_view")
    )


def press_in_admin_form(stack, driver, action_id: str, value: str, showing) -> dict:
    """Opens the admin form (as the admin), presses one of its buttons as `driver`, and
    returns the modal that follows (`showing` tells it from the others)."""
    view = open_admin_form(stack)
    since = len(stack.standin.view_log)
    driver.click({"action_id": action_id, "value": value, "type": "button"}, view=view)
    return wait_for(lambda: stack.standin.latest_view(since, showing))


def rotation_confirm(stack) -> dict:
    """The admin presses Rotate API key in the admin form: its confirmation modal."""
    return press_in_admin_form(
        stack,
        stack.admin,
        "admin_rotate_key",
        "rotate",
        lambda v: v.get("callback_id") == "rotate_key_view",
    )


def form_state(**blocks):
    """view.state.values for the admin form: block id → {"value": element state}."""
    return {block: {"value": value} for block, value in blocks.items()}


def text(value):
    return {"type": "plain_text_input", "value": value}


def test_non_admins_are_told_who_the_admins_are(stack):
    reply = admin_reply(stack, stack.driver, "admin")
    said = blocks_text(reply["blocks"])
    assert "only bot admins" in said and "<@U0ADMIN>" in said and "<@U0SECOND>" in said
    assert not [v for v in stack.standin.view_log if v[2].get("callback_id") == "admin_view"]


def test_no_admins_named_says_how_to_name_one(tmp_path):
    with LocalStack(str(tmp_path / "bot.db"), simulator=Simulator("k", time_scale=100)) as s:
        reply = admin_reply(s, s.driver, "admin")
        said = blocks_text(reply["blocks"])
        assert "none are named yet" in said and "BITSCALE_BOT_ADMINS" in said


def test_workspace_admins_from_users_info_are_admins(stack):
    stack.standin.add_user("U0ANA", admin=True)
    view = open_admin_form(stack, stack.driver)
    assert view["title"]["text"] == "BitScale admin"
    assert any(c.method == "users.info" for c in stack.standin.calls)


def test_admin_form_changes_budgets_alerts_and_access_audited(stack):
    view = open_admin_form(stack)
    grid = stack.sim.grid_named(GRID)
    # The grid picker finds any grid by name, for admins only.
    found = json.loads(stack.admin.suggest("admin_access_grid", "company enr", view).text)
    assert grid.id in [o["value"] for o in found["options"]]
    assert json.loads(stack.driver.suggest("admin_access_grid", "company", view).text) == {
        "options": []
    }
    # Picking a grid shows who may run it.
    since = len(stack.standin.view_log)
    stack.admin.click(
        {
            "action_id": "admin_access_grid",
            "type": "static_select",
            "selected_option": {"value": grid.id},
        },
        view=view,
    )
    view = wait_for(
        lambda: stack.standin.latest_view(
            since,
            lambda v: any(b.get("block_id", "").startswith("access_mode") for b in v["blocks"]),
        )
    )
    mode_block = next(
        b["block_id"] for b in view["blocks"] if b.get("block_id", "").startswith("access_mode")
    )
    users_block = mode_block.replace("access_mode", "access_users")
    values = {
        **form_state(
            person_budget=text("50"),
            workspace_budget=text(""),
            approval_rows=text("200"),
            alert_threshold=text("300"),
            alert_channel={"type": "channels_select", "selected_channel": "C0OPS"},
            access_grid={"type": "static_select", "selected_option": {"value": grid.id}},
        ),
        mode_block: {"value": {"type": "radio_buttons", "selected_option": {"value": "chosen"}}},
        users_block: {"value": {"type": "multi_users_select", "selected_users": ["U0BEN"]}},
        mode_block.replace("access_mode", "reuse_days"): {"value": text("0")},
    }
    answer = stack.admin.submit(view, values)
    saved = json.dumps(json.loads(answer.text))
    assert "Saved" in saved and "50" in saved and "C0OPS" in saved
    policy = stack.bot.policy
    assert policy.person_budget() == 50 and policy.workspace_budget() is None
    assert policy.approval_threshold() == 200 and policy.alert_threshold() == 300
    assert policy.alert_channel() == "C0OPS" and stack.bot.credits.channel == "C0OPS"
    assert stack.bot.credits.threshold == 300
    assert policy.can_run_grid("U0BEN", grid.id) and not policy.can_run_grid("U0ANA", grid.id)
    assert policy.reuse_days(grid.id) == 0 and stack.bot.runs.results.window_days(grid.id) == 0

    changes = {e.details["setting"]: e for e in policy.audit.entries(action="setting_changed")}
    assert changes[PERSON_BUDGET].details == {"setting": PERSON_BUDGET, "old": None, "new": 50}
    assert changes[ALERT_CHANNEL].details["old"] == "C0ALERTS"
    assert changes[ALERT_CHANNEL].details["new"] == "C0OPS"
    assert all(e.actor == ADMIN for e in changes.values())

    # A form missing a block (an older form, another client) leaves that setting alone.
    assert "Saved" in stack.admin.submit(view, form_state(person_budget=text("60"))).text
    assert policy.person_budget() == 60 and policy.alert_channel() == "C0OPS"
    assert policy.approval_threshold() == 200
    values[PERSON_BLOCK] = {"value": text("60")}

    # Saving the same form again changes nothing and records nothing.
    before = len(policy.audit.entries(limit=None))
    assert "Nothing changed" in stack.admin.submit(view, values).text
    assert len(policy.audit.entries(limit=None)) == before


def test_a_crafted_admin_form_from_a_non_admin_changes_nothing(stack):
    view = open_admin_form(stack)
    values = form_state(person_budget=text("1"), approval_rows=text("1"))
    answer = stack.driver.submit(view, values)  # U0ANA sends the admin's form
    assert "only bot admins" in answer.text
    assert stack.bot.policy.person_budget() is None
    # Rotate, Export and Approve payloads from a non-admin are refused the same way.
    since = len(stack.standin.view_log)
    stack.driver.click({"action_id": "admin_rotate_key", "value": "rotate", "type": "button"})
    wait_for(lambda: stack.standin.latest_view(since, saying("only bot admins")))
    answer = stack.driver.submit(
        {"id": "V1", "type": "modal", "callback_id": "rotate_key_view"}, {}
    )
    assert "only bot admins" in answer.text
    assert stack.sim.api_key == "e2e-key"
    answer = stack.driver.submit(
        {"id": "V2", "type": "modal", "callback_id": "audit_export_view", "private_metadata": "{}"},
        {},
    )
    assert "only bot admins" in answer.text
    refused = stack.bot.policy.audit.entries(action="refused", limit=None)
    assert len(refused) >= 3 and {e.outcome for e in refused} == {"not_admin"}


def test_audit_shows_admins_the_latest_entries_and_exports_csv(stack):
    view = stack.driver.open_run_form(f"run {GRID}")
    stack.driver.submit(view, form_values(view, {"company_name": "Acme", "website": "a.io"}))
    wait_for(lambda: stack.bot.store.count_runs("state = 'completed'") == 1)

    refused = admin_reply(stack, stack.driver, "audit")
    assert "only bot admins" in blocks_text(refused["blocks"])

    reply = admin_reply(stack, stack.admin, "audit <@U0ANA|ana>")
    said = blocks_text(reply["blocks"])
    assert "ran" in said and f"*{GRID}*" in said and "→ completed" in said
    assert "<@U0ANA>" in said
    by_grid = blocks_text(admin_reply(stack, stack.admin, f"audit {GRID}")["blocks"])
    assert "ran" in by_grid
    assert "Nothing recorded" in blocks_text(
        admin_reply(stack, stack.admin, "audit Nope")["blocks"]
    )

    export = next(e for b in reply["blocks"] if b["type"] == "actions" for e in b["elements"])
    since = len(stack.standin.view_log)
    stack.admin.click(export)
    modal = wait_for(
        lambda: stack.standin.latest_view(
            since, lambda v: v.get("callback_id") == "audit_export_view"
        )
    )
    dates = {b["block_id"]: b["element"]["initial_date"] for b in modal["blocks"] if "element" in b}
    values = {k: {"date": {"type": "datepicker", "selected_date": v}} for k, v in dates.items()}
    stack.admin.submit(modal, values)
    record = wait_for(
        lambda: next(
            (
                f
                for f in stack.standin.files.values()
                if f.get("content") and "audit" in str(f.get("filename"))
            ),
            None,
        )
    )
    rows = record["content"].decode().splitlines()
    assert rows[0].startswith("when_utc,actor,action,grid_id")
    assert any(",U0ANA,run," in r and ",completed," in r for r in rows[1:])
    assert record["channel"] == "D0ADMIN"


def test_usage_totals_match_the_runs_made(stack):
    ben = SlackDriver(stack.driver.url, SIGNING_SECRET, stack.standin, user_id="U0BEN")
    for driver, name in ((stack.driver, "A"), (stack.driver, "B"), (ben, "C")):
        view = driver.open_run_form(f"run {GRID}")
        driver.submit(view, form_values(view, {"company_name": name, "website": "a.io"}))
    view = stack.driver.open_run_form("run Broken Enrichment")
    stack.driver.submit(view, form_values(view, {"company_name": "D"}))
    wait_for(lambda: stack.bot.store.count_runs("state IN ('completed', 'failed')") == 4)
    ben.close()

    everyone = blocks_text(admin_reply(stack, stack.admin, "usage")["blocks"])
    assert "All: 4 runs · 4 rows · 1 failed" in everyone
    assert "<@U0ANA>: 3 runs · 3 rows · 1 failed" in everyone
    assert "<@U0BEN>: 1 run · 1 row · 0 failed" in everyone
    assert f"*{GRID}*: 3 runs · 3 rows · 0 failed" in everyone
    assert "credits unknown yet" in everyone

    own = blocks_text(admin_reply(stack, stack.driver, "usage")["blocks"])
    assert "You: 3 runs · 3 rows · 1 failed" in own and "U0BEN" not in own


def test_key_rotation_from_slack(stack, caplog):
    caplog.set_level(logging.DEBUG)
    old = stack.sim.api_key
    confirm = rotation_confirm(stack)
    assert "stops every other integration" in blocks_text(confirm["blocks"])
    since = len(stack.standin.view_log)
    answer = stack.admin.submit(confirm, {})
    assert "Rotating" in answer.text
    shown = wait_for(lambda: stack.standin.latest_view(since, saying("only time it is shown")))
    new = stack.sim.api_key
    assert new != old and new in blocks_text(shown["blocks"])

    # The old key is dead at BitScale; the bot carries on with the new one, no restart.
    dead = httpx.get(f"{stack.sim.url}/workspace", headers={"X-API-KEY": old})
    assert dead.status_code == 401
    view = stack.driver.open_run_form(f"run {GRID}")
    stack.driver.submit(view, form_values(view, {"company_name": "After", "website": "a.io"}))
    wait_for(lambda: stack.bot.store.count_runs("state = 'completed'") == 1)
    assert KeyStore(stack.bot.store).get() == new

    # Shown once, in that modal only: no other Slack call, log line or audit entry has it.
    carrying = [c for c in stack.standin.calls if new in json.dumps(c.args)]
    assert len(carrying) == 1 and carrying[0].method == "views.update"
    assert not [r for r in caplog.records if new in r.getMessage()]
    dump = "\n".join(str(r) for r in stack.bot.store.sql.query("SELECT * FROM audit"))
    assert new not in dump and "key_rotated" in dump

    # Stored owner-only, and it takes precedence over BITSCALE_API_KEY after a restart.
    for suffix in ("", "-wal", "-shm"):
        path = stack.db_path + suffix
        if os.path.exists(path):
            assert stat.S_IMODE(os.stat(path).st_mode) == 0o600, suffix


def test_key_rotation_failure_keeps_the_old_key(stack):
    stack.sim.inject(path_contains="/api-key", status=500, code="ROTATE_FAILED")
    confirm = rotation_confirm(stack)
    since = len(stack.standin.view_log)
    stack.admin.submit(confirm, {})
    failed = wait_for(lambda: stack.standin.latest_view(since, saying("old key is still")))
    assert "not rotated" in blocks_text(failed["blocks"])
    assert stack.sim.api_key == "e2e-key"
    view = stack.driver.open_run_form(f"run {GRID}")
    stack.driver.submit(view, form_values(view, {"company_name": "Still", "website": "a.io"}))
    wait_for(lambda: stack.bot.store.count_runs("state = 'completed'") == 1)
    assert [e.outcome for e in stack.bot.policy.audit.entries(action="key_rotation_failed")] == [
        "ROTATE_FAILED"
    ]


def test_a_run_in_flight_during_rotation_is_not_lost(stack):
    stack.sim.add_timed_grid("Slow Grid", 500)  # 5 s at the tests' time scale
    view = stack.driver.open_run_form("run Slow Grid")
    stack.driver.submit(view, form_values(view, {"company_name": "Inflight"}))
    wait_for(lambda: stack.sim.runs_for("Slow Grid"))  # BitScale has it, not finished
    confirm = rotation_confirm(stack)
    stack.admin.submit(confirm, {})
    wait_for(lambda: stack.sim.api_key != "e2e-key")
    (run,) = stack.bot.store.all_runs()
    assert run.state in ("submitting", "running")
    done = wait_for(lambda: stack.bot.store.count_runs("state = 'completed'") == 1, 20)
    assert done and stack.bot.store.all_runs()[0].outputs["echo"]["value"] == "Inflight"


def test_a_double_clicked_rotation_confirmation_rotates_once(stack):
    confirm = rotation_confirm(stack)
    since = len(stack.standin.view_log)
    first = stack.admin.submit(confirm, {})
    second = stack.admin.submit(confirm, {})  # the same view, pressed twice
    assert "Rotating" in first.text and "Rotating" in second.text
    shown = wait_for(lambda: stack.standin.latest_view(since, saying("only time it is shown")))
    time.sleep(0.3)  # give a second rotation, were there one, time to happen
    new = stack.sim.api_key
    assert new in blocks_text(shown["blocks"])  # the key shown is the key that works
    assert KeyStore(stack.bot.store).get() == new
    assert len(stack.bot.policy.audit.entries(action="key_rotated")) == 1


def test_audit_at_a_handle_finds_the_person_with_the_shipped_manifest(stack):
    # manifest.yml sets should_escape: false, so Slack sends what was typed: "@ana".
    from pathlib import Path

    import yaml

    manifest = yaml.safe_load((Path(__file__).parents[2] / "manifest.yml").read_text())
    assert manifest["features"]["slash_commands"][0]["should_escape"] is False
    stack.standin.add_user("U0ANA", name="ana")
    stack.standin.add_user("U0BEN", name="ben")
    view = stack.driver.open_run_form(f"run {GRID}")
    stack.driver.submit(view, form_values(view, {"company_name": "Acme", "website": "a.io"}))
    wait_for(lambda: stack.bot.store.count_runs("state = 'completed'") == 1)
    stack.bot.policy.settings.set(PERSON_BUDGET, 1, actor=ADMIN)
    stack.bot.policy.check_run("U0ANA", stack.sim.grid_named(GRID).id, 5, entry="form")

    said = blocks_text(admin_reply(stack, stack.admin, "audit @ana")["blocks"])
    assert "ran" in said and f"*{GRID}*" in said and "<@U0ANA>" in said
    assert "Nothing recorded" not in said
    # The refusal is quoted as the person saw it: the admin's mention, not &lt;@…&gt;.
    assert f"Ask <@{ADMIN}> if you need it" in said and "&lt;@" not in said
    ben = admin_reply(stack, stack.admin, "audit @ben")
    assert "Nothing recorded" in blocks_text(ben["blocks"])
    unknown = blocks_text(admin_reply(stack, stack.admin, "audit @nobody")["blocks"])
    assert "I don't know anyone called @nobody" in unknown
