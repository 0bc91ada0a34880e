"""The core of governance without Slack: policy decisions, the append-only audit log,
stored settings, usage totals and approvals (one decision wins)."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from bot.batches.csvwrite import neutralise
from bot.governance.access import GridAccess
from bot.governance.approvals import Approvals
from bot.governance.audit import AuditLog
from bot.governance.policy import PERSON_BUDGET, WORKSPACE_BUDGET, Policy
from bot.governance.stored_settings import StoredSettings
from bot.governance.usage import Usage, resets_in
from bot.store.database import Store
from tests.factories import make_run

NOON = 1_800_000_000.0 + 4 * 3600  # 2027-01-15 12:00 UTC


class Groups:
    def is_workspace_admin(self, user_id):
        return user_id == "UOWNER"

    def workspace_admins(self):
        return ["UOWNER"]

    def group_members(self, group_id):
        return {"S1": {"UGRP"}}.get(group_id, set())


@pytest.fixture
def policy(tmp_path):
    store = Store(tmp_path / "bot.db")
    audit = AuditLog(store, clock=lambda: NOON)
    return Policy(
        StoredSettings(store, audit),
        audit,
        Usage(store, clock=lambda: NOON),
        named_admins=("UADMIN",),
        directory=Groups(),
        clock=lambda: NOON,
    )


def test_admins_are_named_or_workspace_admins(policy):
    assert policy.is_admin("UADMIN") and policy.is_admin("UOWNER")
    assert not policy.is_admin("UANA") and not policy.is_admin("")
    assert policy.admins() == ["UADMIN", "UOWNER"]


def test_grid_access_modes(policy):
    assert policy.check_run("UANA", "g1", entry="form").allowed  # everyone by default
    policy.set_grid_access("g1", GridAccess("chosen", ("UANA",), ("S1",)), actor="UADMIN")
    assert policy.can_run_grid("UANA", "g1") and policy.can_run_grid("UGRP", "g1")
    refused = policy.check_run("UBEN", "g1", entry="form", grid_name="Leads <x>")
    assert not refused and refused.reason == "grid_access"
    assert "Ask <@UADMIN>" in refused.sentence
    policy.set_grid_access("g1", GridAccess("nobody"), actor="UADMIN")
    assert not policy.can_run_grid("UANA", "g1")
    assert policy.runnable("UANA", ["g1", "g2"]) == {"g2"}
    policy.set_grid_access("g1", GridAccess(), actor="UADMIN")  # back to everyone
    assert policy.restricted_grids() == {}


def test_budgets_count_todays_rows_and_say_when_they_reset(policy):
    store = policy.usage.store
    for i, user in enumerate(["UANA", "UANA", "UBEN"]):
        store.insert_run(
            make_run(id=f"r{i}", user_id=user, created_at=NOON - 60, state="completed")
        )
    store.insert_run(make_run(id="old", user_id="UANA", created_at=NOON - 86400, state="completed"))
    store.insert_run(make_run(id="free", user_id="UANA", created_at=NOON - 60, state="reused"))
    policy.settings.set(PERSON_BUDGET, 3, actor="UADMIN")
    assert policy.check_run("UANA", "g", 1, entry="form").allowed
    refused = policy.check_run("UANA", "g", 2, entry="batch")
    assert refused.reason == "person_budget"
    assert "you have 1 of your 3 rows a day left" in refused.sentence
    assert "00:00 UTC (in 12 h 0 min)" in refused.sentence
    policy.settings.set(WORKSPACE_BUDGET, 3, actor="UADMIN")
    assert policy.check_run("UBEN", "g", 1, entry="form").reason == "workspace_budget"
    assert resets_in(NOON + 11 * 3600 + 30 * 60) == "in 30 min"
    assert [e.outcome for e in policy.audit.entries(action="refused")] == [
        "workspace_budget",
        "person_budget",
    ]


def test_audit_log_is_append_only_and_never_stores_keys(policy):
    policy.audit.record("UADMIN", "key_rotated")
    with pytest.raises(sa.exc.DatabaseError, match="append-only"):
        policy.audit.store.sql.run("UPDATE audit SET actor = 'x'")
    with pytest.raises(sa.exc.DatabaseError, match="append-only"):
        policy.audit.store.sql.run("DELETE FROM audit")
    assert [e.action for e in policy.audit.entries()] == ["key_rotated"]
    with pytest.raises(ValueError):
        policy.audit.record("UADMIN", "key_rotated", api_key="secret")
    csv_text = policy.audit.to_csv(policy.audit.entries(limit=None), cell=neutralise)
    assert csv_text.splitlines()[0].startswith("when_utc,actor,action")


def test_settings_record_old_and_new_and_skip_no_changes(policy):
    heard = []
    policy.settings.on_change(lambda key, old, new: heard.append((key, old, new)))
    assert policy.settings.set(PERSON_BUDGET, 10, actor="UADMIN")
    assert not policy.settings.set(PERSON_BUDGET, 10, actor="UADMIN")
    assert policy.settings.set(PERSON_BUDGET, None, actor="UADMIN")
    assert heard == [(PERSON_BUDGET, None, 10), (PERSON_BUDGET, 10, None)]
    changes = [e.details for e in reversed(policy.audit.entries(action="setting_changed"))]
    assert changes == [
        {"setting": PERSON_BUDGET, "old": None, "new": 10},
        {"setting": PERSON_BUDGET, "old": 10, "new": None},
    ]


def test_usage_by_person_and_grid(policy):
    store = policy.usage.store
    rows = [
        ("UANA", "completed", None),
        ("UANA", "failed", None),
        ("UBEN", "completed", "b1"),
        ("UBEN", "completed", "b1"),
    ]
    for i, (user, state, batch) in enumerate(rows):
        store.insert_run(make_run(id=f"u{i}", user_id=user, state=state, created_at=NOON - 5))
        if batch:
            store.update_run(f"u{i}", batch_id=batch)
    policy.usage.cost_per_row = lambda grid: 2.5
    report = policy.usage.month()
    assert (report.total.runs, report.total.rows, report.total.failed) == (3, 4, 1)
    assert report.total.credits == 10.0
    assert (report.by_person["UBEN"].runs, report.by_person["UBEN"].rows) == (1, 2)
    policy.usage.cost_per_row = lambda grid: None
    assert policy.usage.month("UANA").total.credits is None


def test_one_decision_settles_an_approval_even_when_clicked_at_once(policy):
    approvals = Approvals(policy.usage.store, policy.audit)
    applied = []
    approvals.handle("batch", approved=applied.append, denied=applied.append)
    approval, created = approvals.request(
        "batch", "b1", requester="UANA", grid_id="g", grid_name="G", rows=5000, estimate=None
    )
    assert (
        created
        and not approvals.request(
            "batch", "b1", requester="UANA", grid_id="g", grid_name="G", rows=5000, estimate=None
        )[1]
    )
    results = []
    clicks = [
        threading.Thread(
            target=lambda u=u, a=a: results.append(approvals.decide(approval.id, u, approve=a)[1])
        )
        for u, a in (("UADMIN", True), ("UOWNER", False), ("UADMIN", True))
    ]
    for t in clicks:
        t.start()
    for t in clicks:
        t.join()
    assert sorted(results) == [False, False, True] and len(applied) == 1
    assert approvals.pending() == []
    settled = approvals.get(approval.id)
    assert settled is not None and settled.state in ("approved", "denied")


def test_bitscale_bot_admins_is_a_comma_separated_list_of_user_ids():
    from bot.config import load_settings

    settings = load_settings(_env_file=None, BITSCALE_BOT_ADMINS=" U1 , <@U2>,,U1;W3")
    assert settings.admin_ids == ("U1", "U2", "W3")
    assert load_settings(_env_file=None).admin_ids == ()


def test_bitscale_bot_admins_given_as_names_is_named_at_start_up():
    # 'ana' would never match anyone: she would be told "the admins are ana: ask one of them"
    import pytest

    from bot.config import SettingsError, load_settings

    with pytest.raises(SettingsError) as info:
        load_settings(_env_file=None, BITSCALE_BOT_ADMINS="U1, ana, @bob")
    (line,) = info.value.lines
    assert line.startswith("BITSCALE_BOT_ADMINS is malformed: ")
    assert "'ana', '@bob'" in line and "U1" not in line
    assert "member ID" in line


def test_a_refusal_says_what_only_admins_may_do():
    from bot.slack.blocks.admin import not_admin_text

    assert not_admin_text(["U1"], "read the audit log").startswith(
        "Sorry, only bot admins can read the audit log."
    )


def test_the_audit_export_writes_no_live_formulas(policy):
    import csv
    import io

    policy.audit.record(
        "U0ANA", "run", grid_id="g1", grid_name='=HYPERLINK("http://evil.example","Open")',
        entry="+form", rows=1,
    )
    policy.audit.record("@U0ANA", "refused", grid_name="-2+3", why="=cmd|' /C calc'!A0")
    rows = list(csv.reader(io.StringIO(
        policy.audit.to_csv(policy.audit.entries(limit=None), cell=neutralise)
    )))
    cells = [c for row in rows[1:] for c in row]
    assert '\'=HYPERLINK("http://evil.example","Open")' in cells
    assert "'+form" in cells and "'@U0ANA" in cells and "'-2+3" in cells
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@")]


def test_a_refusal_worded_for_the_approving_admin_names_the_requester(policy):
    """issue 27, N6: approval re-checks a held batch; the admin reads about the requester."""
    policy.settings.set(PERSON_BUDGET, 2, actor="UADMIN")
    said = policy.check_run("U1", "g1", 3, entry="approval", record=False, to_admin=True)
    assert "That would be 3 rows, and <@U1> has 2 of their 2 rows a day left" in said.sentence
    assert "Ask " not in said.sentence  # the admin is the one people ask
    policy.set_grid_access("g1", GridAccess("nobody"), actor="UADMIN")
    said = policy.check_run("U1", "g1", 3, entry="approval", record=False, to_admin=True)
    assert said.sentence == "<@U1> doesn't have access to run this grid any more."
