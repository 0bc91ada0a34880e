"""The Workflow Builder step: function_executed → a run → functions.completeSuccess/Error."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

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
        "run_as": "U0ADMIN",
    }
    stack.driver.function_executed(STEP, inputs, "Fx2")
    outputs = finished(stack, "Fx2")["outputs"]
    (parent,) = stack.standin.posts("C0INBOUND", top_level=True)
    assert outputs["thread_link"].endswith(parent.ts.replace(".", ""))
    assert "<@U0ADMIN>" in parent.blocks[0]["text"]["text"]
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
