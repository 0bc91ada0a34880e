"""Block Kit for the admin surfaces: within Slack's limits by construction, escaped."""

from __future__ import annotations

from bot.governance.access import GridAccess
from bot.governance.approvals import Approval
from bot.governance.audit import AuditEntry
from bot.governance.usage import Totals, UsageReport
from bot.providers.bitscale.models import GridSummary
from bot.slack.blocks import admin, api_key, approvals, records


def grids(n):
    return [
        GridSummary.model_validate({"id": f"g{i}", "name": f"<Grid> {i}" * 5}) for i in range(n)
    ]


def test_admin_modal_with_many_grids_and_groups_fits():
    form = admin.AdminForm(
        person_budget=None,
        workspace_budget=5000,
        approval_rows=1000,
        alert_channel="C1",
        alert_threshold=1000,
        grids=grids(150),
        groups=[{"id": f"S{i}", "handle": f"team{i}", "name": f"Team {i}"} for i in range(120)],
        restricted={f"g{i}": GridAccess("chosen", ("U1",), ("S1",)) for i in range(30)},
        grid_id="g3",
        access=GridAccess("chosen", ("U1", "U2"), ("S1",)),
        key_rotated=(1_800_000_000.0, "U0ADMIN"),
    )
    view = admin.admin_modal(form)
    assert view["callback_id"] == "admin_view" and len(view["blocks"]) <= 100
    ids = [b.get("block_id", "") for b in view["blocks"]]
    assert "access_mode:g3" in ids and "access_users:g3" in ids and "access_groups:g3" in ids
    assert "&lt;Grid&gt;" in str(view)


def test_non_admin_text_names_admins_or_says_how_to_name_one():
    assert "<@U0AAAAA1>, <@U0AAAAA2>" in admin.not_admin_text(["U0AAAAA1", "U0AAAAA2"])
    assert "BITSCALE_BOT_ADMINS" in admin.not_admin_text([])


def test_key_modal_is_the_only_surface_with_the_key():
    view = api_key.new_key_modal("sim-abc")
    assert "sim-abc" in str(view) and "only time it is shown" in str(view)
    assert "private_metadata" not in view or "sim-abc" not in view.get("private_metadata", "")


def test_audit_and_usage_blocks_fit_with_long_entries():
    entries = [
        AuditEntry(
            i,
            1_800_000_000.0,
            "U1",
            "refused",
            "g",
            "<b>" * 50,
            None,
            "C1",
            3,
            "person_budget",
            "form",
            {"why": "x" * 500},
        )
        for i in range(20)
    ]
    blocks = records.audit_blocks(entries, {}, "", "{}")
    assert len(blocks) <= 50 and all(len(b.get("text", {}).get("text", "")) <= 3000 for b in blocks)
    report = UsageReport(
        1_800_000_000.0,
        {f"U{i}": Totals(1, 2, 0, None) for i in range(60)},
        {f"Grid {i}": Totals(1, 2, 1, 3.0) for i in range(60)},
        Totals(60, 120, 0, None),
    )
    blocks = records.usage_blocks(report, everyone=True)
    assert "credits unknown yet" in str(blocks) and len(blocks) <= 50


def test_approval_request_has_buttons_until_decided():
    pending = Approval(
        "a1", "batch", "b1", "U0ANA", "g", "<Leads>", 2500, "pending", 1.0, "C1", 40.0
    )
    text, blocks = approvals.approval_request_message(pending)
    assert "approval_approve" in str(blocks) and "about 40 credits (an estimate)" in str(blocks)
    assert "&lt;Leads&gt;" in str(blocks)
    pending.state, pending.decided_by, pending.decided_at = "denied", "U0ADMIN", 2.0
    _, blocks = approvals.approval_request_message(pending)
    assert "approval_approve" not in str(blocks) and "Denied by <@U0ADMIN>" in str(blocks)


def test_usage_shows_reused_rows_and_credits_saved():
    from bot.governance.usage import Totals, UsageReport

    report = UsageReport(1_800_000_000.0)
    report.total = Totals(runs=3, rows=3, credits=15.0, reused=4, saved=20.0)
    report.by_person["U0ANA"] = Totals(reused=4, saved=None)
    text = str(records.usage_blocks(report, everyone=True))
    assert "♻️ 4 reused, ~20 credits saved" in text
    assert "<@U0ANA>: 0 runs · 0 rows · 0 failed · ~0 credits (est.) · ♻️ 4 reused" in text
    report.by_grid["Person Lookup"] = Totals(runs=1, rows=1, credits=None)
    text = str(records.usage_blocks(report, everyone=True))
    assert "*Person Lookup*: 1 run · 1 row · 0 failed · credits unknown yet" in text
