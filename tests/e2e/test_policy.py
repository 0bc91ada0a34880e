"""Grid access and budgets, enforced on every entry point (signed requests, real app)."""

from __future__ import annotations

import json

from bot.governance.access import GridAccess
from bot.governance.channel_defaults import ChannelDefaults
from bot.governance.policy import PERSON_BUDGET, WORKSPACE_BUDGET
from bot.playground.slack.form_fill import form_values
from bot.playground.slack.records import wait_for
from tests.e2e.test_commands import blocks_text, command_reply, saying
from tests.e2e.test_quick_runs import mention
from tests.e2e.test_workflow_step import STEP, finished

GRID = "Company Enrichment"


def deny(stack, name=GRID, mode="nobody", users=()):
    grid = stack.sim.grid_named(name)
    stack.bot.policy.set_grid_access(grid.id, GridAccess(mode, tuple(users)), actor="UADMIN")
    return grid


def refusals(stack):
    return stack.bot.policy.audit.entries(action="refused", limit=None)


def test_a_denied_grid_has_no_run_button_and_every_entry_point_refuses(stack):
    # Before: a form to submit later as a crafted request, and a run to "Run again".
    view = stack.driver.open_run_form(f"run {GRID}")
    grid = deny(stack)

    listing = command_reply(stack, "grids company")
    run_buttons = [
        b["accessory"]["value"]
        for b in listing["blocks"]
        if (b.get("accessory") or {}).get("action_id") == "run_grid"
    ]
    assert grid.id not in run_buttons and "Not available to you" in blocks_text(listing["blocks"])

    # /bitscale run
    since = len(stack.standin.view_log)
    stack.driver.command(f"run {GRID}")
    refused = wait_for(lambda: stack.standin.latest_view(since, saying("don't have access")))
    assert "BITSCALE_BOT_ADMINS" in blocks_text(refused["blocks"])  # no admins named yet

    # The Run button's payload sent directly, and Run again on an old run.
    for action_id in ("run_grid", "run_again"):
        since = len(stack.standin.view_log)
        if action_id == "run_again":
            stack.bot.store.insert_run(_old_run(grid))
            value = "old-run"
        else:
            value = grid.id
        stack.driver.click({"action_id": action_id, "value": value, "type": "button"})
        wait_for(lambda s=since: stack.standin.latest_view(s, saying("don't have access")))

    # The shortcut's grid picker hides it, and picking it anyway is refused.
    since = len(stack.standin.view_log)
    stack.driver.shortcut()
    picker = wait_for(lambda: stack.standin.latest_view(since))
    options = json.loads(stack.driver.suggest("pick_grid", "Company", picker).text)["options"]
    assert grid.id not in [o["value"] for o in options]
    since = len(stack.standin.view_log)
    stack.driver.click(
        {
            "action_id": "pick_grid",
            "type": "external_select",
            "selected_option": {"value": grid.id},
        },
        view=picker,
    )
    wait_for(lambda: stack.standin.latest_view(since, saying("don't have access")))

    # The form, submitted anyway (opened before access was taken away).
    answer = stack.driver.submit(
        view, form_values(view, {"company_name": "Acme", "website": "a.io"})
    )
    assert "don't have access" in json.dumps(json.loads(answer.text)["view"])

    # A mention in a channel whose default is that grid.
    ChannelDefaults(stack.bot.store).set("C0SALES", grid.id, GRID, "UADMIN")
    lead = mention(stack, "<@UBOT0001> Acme Inc https://acme.io")
    wait_for(
        lambda: any("access" in m.text for m in stack.standin.posts("C0SALES", thread_ts=lead.ts))
    )

    # /bitscale batch
    since = len(stack.standin.view_log)
    stack.driver.command(f"batch {GRID}")
    wait_for(lambda: stack.standin.latest_view(since, saying("don't have access")))

    # The Workflow Builder step (it runs as "workflow", which has no access either).
    inputs = {"grid": GRID, "inputs": "company_name: Acme\nwebsite: a.io"}
    stack.driver.function_executed(STEP, inputs, "FxDenied")
    assert "don't have access" in finished(stack, "FxDenied")["error"]

    assert stack.sim.runs_for(GRID) == [] and stack.bot.store.count_runs("id != 'old-run'") == 0
    entries = refusals(stack)
    assert len(entries) >= 7 and {e.outcome for e in entries} == {"grid_access"}
    assert {"form", "mention", "workflow", "batch"} <= {e.entry for e in entries}


def test_chosen_people_and_groups_may_run_it(stack):
    grid = deny(stack, mode="chosen", users=("U0ANA",))
    listing = command_reply(stack, "grids company")
    assert any((b.get("accessory") or {}).get("value") == grid.id for b in listing["blocks"])
    stack.standin.add_usergroup("S0SALES", "sales", ["U0BEN"])
    stack.bot.policy.set_grid_access(
        grid.id, GridAccess("chosen", (), ("S0SALES",)), actor="UADMIN"
    )
    assert stack.bot.policy.can_run_grid("U0BEN", grid.id)
    assert not stack.bot.policy.can_run_grid("U0ANA", grid.id)


def test_budget_refuses_before_sending_and_resets_the_next_day(stack):
    now = [1_800_000_000.0]  # an injected clock: 2027-01-15 08:00 UTC
    stack.bot.policy.clock = stack.bot.policy.usage.clock = lambda: now[0]
    stack.bot.runs.clock = lambda: now[0]
    stack.bot.policy.settings.set(PERSON_BUDGET, 1, actor="UADMIN")
    view = stack.driver.open_run_form(f"run {GRID}")
    stack.driver.submit(view, form_values(view, {"company_name": "Acme", "website": "a.io"}))
    wait_for(lambda: stack.sim.runs_for(GRID))

    since = len(stack.standin.view_log)
    stack.driver.command(f"run {GRID}")
    refused = wait_for(lambda: stack.standin.latest_view(since, saying("a day left")))
    text = blocks_text(refused["blocks"])
    assert "That would be 1 row, and you have 0 of your 1 row a day left" in text
    assert "00:00 UTC (in 16 h 0 min)" in text

    stack.bot.policy.settings.set(PERSON_BUDGET, None, actor="UADMIN")
    stack.bot.policy.settings.set(WORKSPACE_BUDGET, 1, actor="UADMIN")
    since = len(stack.standin.view_log)
    stack.driver.command(f"run {GRID}")
    wait_for(lambda: stack.standin.latest_view(since, saying("the workspace has 0 of its 1")))
    assert len(stack.sim.runs_for(GRID)) == 1

    now[0] += 86400  # the next day: budgets reset
    view = stack.driver.open_run_form(f"run {GRID}")
    stack.driver.submit(view, form_values(view, {"company_name": "Beta", "website": "b.io"}))
    wait_for(lambda: len(stack.sim.runs_for(GRID)) == 2)
    assert [e.outcome for e in refusals(stack)] == ["workspace_budget", "person_budget"]
    runs = stack.bot.policy.audit.entries(action="run", limit=None)
    assert len(runs) == 2 and {e.grid_name for e in runs} == {GRID}


def _old_run(grid):
    from bot.store.run_record import Run

    return Run(
        id="old-run",
        grid_id=grid.id,
        grid_name=GRID,
        inputs={"company_name": "Old"},
        output_columns=None,
        user_id="U0ANA",
        channel_id="C0SALES",
        state="completed",
        created_at=1.0,
    )
