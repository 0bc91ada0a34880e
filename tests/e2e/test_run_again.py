"""Edit and run again brings back the form as the run was asked: inputs and outputs."""

from __future__ import annotations

import json

from bot.playground.rigs.stack import SIGNING_SECRET
from bot.playground.slack.driver import SlackDriver
from bot.playground.slack.form_fill import form_values
from bot.playground.slack.records import wait_for
from tests.e2e.test_commands import button_in, run_form_after
from tests.factories import make_run


def test_edit_and_run_again_keeps_the_outputs_the_run_asked_for(stack):
    view = stack.driver.open_run_form("run Company Enrichment")
    asked = {"company_name": "Initech", "website": "initech.com"}
    answer = stack.driver.submit(view, form_values(view, asked, ["industry"]))
    assert not answer.text.strip(), answer.text
    wait_for(lambda: (r := stack.bot.store.all_runs()) and r[0].notified_at)
    assert stack.bot.store.all_runs()[0].output_columns == ["industry"]
    reply = next(m for m in stack.standin.posts("C0SALES") if m.thread_ts)
    again = button_in(reply, "run_again")
    since = len(stack.standin.view_log)
    stack.driver.click(again, message=reply, channel_id="C0SALES")
    form = run_form_after(stack, since)
    inputs = {b["block_id"]: b for b in form["blocks"] if b["type"] == "input"}
    (outputs,) = [b for b in inputs.values() if b["element"]["type"] == "checkboxes"]
    assert [o["value"] for o in outputs["element"]["initial_options"]] == ["industry"]
    assert len(outputs["element"]["options"]) == 5  # every output still offered
    labels = [b["label"]["text"] for b in inputs.values()]
    assert "Company name" in labels and "Website" not in labels
    assert "Initech" in str(form)


def test_edit_and_run_again_after_an_output_was_removed_opens_the_whole_form(stack):
    view = stack.driver.open_run_form("run Company Enrichment")
    asked = {"company_name": "Initech", "website": "initech.com"}
    stack.driver.submit(view, form_values(view, asked, ["industry"]))
    wait_for(lambda: (r := stack.bot.store.all_runs()) and r[0].notified_at)
    run = stack.bot.store.all_runs()[0]
    stack.bot.store.update_run(run.id, output_columns=["gone"])
    reply = next(m for m in stack.standin.posts("C0SALES") if m.thread_ts)
    again = button_in(reply, "run_again")
    since = len(stack.standin.view_log)
    stack.driver.click(again, message=reply, channel_id="C0SALES")
    form = run_form_after(stack, since)
    labels = [b["label"]["text"] for b in form["blocks"] if b["type"] == "input"]
    assert "Company name" in labels and "Website" in labels


def test_edit_and_run_again_shows_someone_else_only_what_the_announcement_showed(stack):
    grid = stack.sim.grid_named("Account Scoring")
    bobs = {
        "company_name": "Acme",
        "website": "acme.io",
        "industry": "Robotics",
        "contact_email": "lead.person@acme.io",
        "notes": "call after the merger closes",
    }
    stack.bot.store.insert_run(
        make_run(
            id="bob-run", grid_id=grid.id, grid_name="Account Scoring", user_id="U0BEN",
            inputs=bobs, channel_id="C0SALES", outputs={},
        )
    )
    again = {"action_id": "run_again", "value": "bob-run", "type": "button"}
    since = len(stack.standin.view_log)
    stack.driver.click(again, channel_id="C0SALES")  # Ana, in the channel it was posted in
    form = json.dumps(run_form_after(stack, since))
    assert "Acme" in form and "acme.io" in form  # the announcement's summary showed these
    for hidden in ("Robotics", "lead.person@acme.io", "call after the merger"):
        assert hidden not in form
    # Bob himself gets his full inputs back.
    bob = SlackDriver(stack.driver.url, SIGNING_SECRET, stack.standin, user_id="U0BEN")
    try:
        since = len(stack.standin.view_log)
        bob.click(again, channel_id="C0SALES")
        form = json.dumps(run_form_after(stack, since))
        assert "lead.person@acme.io" in form and "call after the merger" in form
    finally:
        bob.close()
