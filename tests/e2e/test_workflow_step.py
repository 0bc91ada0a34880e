"""The Workflow Builder step: function_executed → a run → functions.completeSuccess/Error."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from bot.governance.access import GridAccess
from bot.governance.policy import PERSON_BUDGET, WORKFLOW_BUDGET, WORKSPACE_BUDGET
from bot.playground.slack.records import wait_for

MANIFEST = yaml.safe_load((Path(__file__).parents[2] / "manifest.yml").read_text())
STEP = {"callback_id": "run_bitscale_grid", **MANIFEST["functions"]["run_bitscale_grid"]}


def finished(stack, execution_id: str, timeout: float = 20.0) -> dict:
    executions = stack.standin.function_executions
    return wait_for(
        lambda: executions[execution_id]["state"] != "running" and executions[execution_id],
        timeout,
    )


def completions(stack) -> list:
    return [
        c
        for c in stack.standin.calls
        if c.method in ("functions.completeSuccess", "functions.completeError") and c.ok
    ]


def test_step_completes_with_the_outputs_and_posts_nothing(stack):
    inputs = {
        "grid": "Company Enrichment",
        "inputs": "company_name: Acme Robotics\nWebsite = acme.io",
    }
    assert stack.driver.function_executed(STEP, inputs, "Fx1").status_code == 200
    execution = finished(stack, "Fx1")
    assert execution["state"] == "completed"
    outputs = execution["outputs"]
    assert set(outputs) == {"status", "result_text", "result_json"}
    assert outputs["status"] == "completed"
    assert "Industry: " in outputs["result_text"] and "Tech stack: " in outputs["result_text"]
    values = json.loads(outputs["result_json"])
    assert "Acme Robotics (acme.io)" in values["ai_summary"]
    (sim_run,) = stack.sim.runs_for("Company Enrichment")
    assert sim_run.inputs == {"company_name": "Acme Robotics", "website": "acme.io"}
    assert stack.standin.messages == []  # no channel given: nothing posted
    run = wait_for(lambda: [r for r in stack.bot.store.all_runs() if r.step_completed_at])[0]
    assert run.source == "workflow" and run.step_execution_id == "Fx1"
    # a redelivered event starts nothing new
    stack.driver.function_executed(STEP, inputs, "Fx1", event_id="EvFx1", retry_num=1)
    assert len(stack.sim.runs_for("Company Enrichment")) == 1 and len(completions(stack)) == 1


def test_step_with_a_channel_posts_and_links_the_thread(stack):
    inputs = {
        "grid": "Person Lookup",
        "inputs": "full_name: Kay Ng\ncompany_domain: kay.dev",
        "channel": "C0INBOUND",
        "triggered_by": {"id": "U0ANA", "secret": "c2VjcmV0"},
    }
    stack.driver.function_executed(STEP, inputs, "Fx2")
    outputs = finished(stack, "Fx2")["outputs"]
    (parent,) = stack.standin.posts("C0INBOUND", top_level=True)
    assert outputs["thread_link"].endswith(parent.ts.replace(".", ""))
    # A step runs as "workflow", not as the person who set it off (N3).
    assert parent.blocks[0]["text"]["text"].startswith("✅ A workflow ran")
    reply = stack.standin.posts("C0INBOUND", thread_ts=parent.ts)[0]
    assert "kay.ng@kay.dev" in json.dumps(reply.blocks)
    assert "Work email: kay.ng@kay.dev" in outputs["result_text"]


def test_a_failed_grid_fails_the_step_with_bitscales_sentence(stack):
    inputs = {"grid": "Broken Enrichment", "inputs": "company_name: Initech"}
    stack.driver.function_executed(STEP, inputs, "Fx3")
    execution = finished(stack, "Fx3")
    assert execution["state"] == "failed"
    assert "Enrichment provider returned an error for 'Initech'." in execution["error"]
    assert execution["error"].startswith("Broken Enrichment failed:")


def test_a_second_identical_step_reuses_the_result(stack):
    inputs = {"grid": "Email Finder", "inputs": "company_domain: acme.io"}
    stack.driver.function_executed(STEP, inputs, "Fx7")
    first = finished(stack, "Fx7")["outputs"]
    stack.driver.function_executed(STEP, inputs, "Fx8")
    second = finished(stack, "Fx8")["outputs"]
    assert first["status"] == "completed" and second["status"] == "reused"
    assert second["result_json"] == first["result_json"]
    assert second["result_text"].startswith("♻️ Reused, from a run on ")
    assert "no credits spent.\n" + first["result_text"] in second["result_text"]
    assert len(stack.sim.runs_for("Email Finder")) == 1  # no credits spent twice


def test_bad_step_inputs_fail_at_once_saying_what_to_change(stack):
    stack.driver.function_executed(STEP, {"grid": "Person Lookup", "inputs": "name: Kay"}, "Fx4")
    error = finished(stack, "Fx4")["error"]
    assert "no input called name" in error and "`full_name`" in error
    stack.driver.function_executed(STEP, {"grid": "No Such Grid", "inputs": "a: b"}, "Fx5")
    assert "No grid is called “No Such Grid”" in finished(stack, "Fx5")["error"]
    assert stack.sim.runs_for("Person Lookup") == []


def test_a_step_in_progress_survives_a_restart(stack):
    # 300 s (3 s at the tests' time scale) outlasts BitScale's sync window: the run is
    # polled, and the bot restarts under it.
    inputs = {"grid": "Load Test", "inputs": "company_name: Acme\nduration_seconds: 300"}
    stack.driver.function_executed(STEP, inputs, "Fx6")
    wait_for(lambda: [r for r in stack.bot.store.all_runs() if r.state == "running"])
    stack.restart_bot()
    execution = finished(stack, "Fx6", timeout=30)
    assert execution["state"] == "completed" and execution["outputs"]["status"] == "completed"
    assert len(stack.sim.runs_for("Load Test")) == 1
    assert len(completions(stack)) == 1  # completed exactly once
    wait_for(lambda: stack.bot.store.all_runs()[0].step_completed_at)


# --- N3 / N4: a workflow cannot choose whose access or budget applies ----------------------


def test_a_workflow_naming_an_admin_in_run_as_gets_nothing_of_theirs(stack):
    grid = stack.sim.grid_named("Person Lookup")
    policy = stack.bot.policy
    policy.set_grid_access(grid.id, GridAccess("chosen", ("U0ADMIN",)), actor="U0ADMIN")
    inputs = {
        "grid": "Person Lookup",
        "inputs": "full_name: Kay Ng\ncompany_domain: kay.dev",
        "channel": "C0INBOUND",
        "run_as": "U0ADMIN",  # what an older manifest let the builder type in
        "triggered_by": {"id": "U0MALLORY", "secret": "c2VjcmV0"},
    }
    stack.driver.function_executed(STEP, inputs, "FxImpersonate")
    error = finished(stack, "FxImpersonate")["error"]
    assert "Workflows don't have access to run *Person Lookup*" in error
    assert "Grid access" in error
    assert stack.sim.runs_for("Person Lookup") == [] and stack.standin.posts("C0INBOUND") == []
    (refused,) = policy.audit.entries(action="workflow_step_refused")
    assert refused.actor == "workflow"
    assert refused.details["triggered_by"] == "U0MALLORY"
    assert refused.details["workflow_execution_id"] == "WxFxImpersonate"

    # The admin lets workflows run it: the run is the workflow's, credited to nobody else.
    policy.set_grid_access(
        grid.id, GridAccess("chosen", ("U0ADMIN", "workflow")), actor="U0ADMIN"
    )
    stack.driver.function_executed(STEP, inputs, "FxAllowed")
    assert finished(stack, "FxAllowed")["state"] == "completed"
    (run,) = [r for r in stack.bot.store.all_runs() if r.step_execution_id == "FxAllowed"]
    assert run.user_id == "workflow"
    (parent,) = stack.standin.posts("C0INBOUND", top_level=True)
    assert "U0ADMIN" not in parent.text + json.dumps(parent.blocks)
    (entry,) = policy.audit.entries(action="run", grid="Person Lookup")
    assert entry.actor == "workflow"
    (step,) = policy.audit.entries(action="workflow_step")
    assert step.details["triggered_by"] == "U0MALLORY" and step.run_id == run.id
    assert step.details["function_execution_id"] == "FxAllowed"


def test_workflows_share_the_budget_the_admin_sets_for_them(stack):
    policy = stack.bot.policy
    policy.settings.set(PERSON_BUDGET, 5, actor="U0ADMIN")
    policy.settings.set(WORKFLOW_BUDGET, 2, actor="U0ADMIN")
    results = []
    for n, run_as in enumerate(["U0ANA", "U0BEN", "UMADEUP", ""]):
        inputs = {"grid": "Email Finder", "inputs": f"company_domain: w{n}.io", "run_as": run_as}
        stack.driver.function_executed(STEP, inputs, f"FxBudget{n}")
        results.append(finished(stack, f"FxBudget{n}"))
    assert [r["state"] for r in results] == ["completed", "completed", "failed", "failed"]
    assert "workflows have 0 of their 2 rows a day left" in results[2]["error"]
    assert len(stack.sim.runs_for("Email Finder")) == 2
    # and the workspace budget counts them: one row left of 3 for everyone
    policy.settings.set(WORKFLOW_BUDGET, None, actor="U0ADMIN")
    policy.settings.set(WORKSPACE_BUDGET, 3, actor="U0ADMIN")
    assert policy.check_run("U0ANA", "g", 2, entry="form").reason == "workspace_budget"
    assert policy.check_run("U0ANA", "g", 1, entry="form").allowed
