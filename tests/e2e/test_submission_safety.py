"""A submitted form is saved before Slack is told it went through; never a silent loss."""

from __future__ import annotations

import sqlite3

from bot.playground.slack.form_fill import form_values
from bot.playground.slack.records import wait_for

PERSON = {"full_name": "Ada L", "company_domain": "a.io"}


def _hold_background_work(stack):
    """Keep everything after the ack from running, as if the process died right there."""
    held = []
    stack.bot.services.later = lambda fn, busy=None: held.append(fn)
    return held


def test_the_run_is_recorded_before_the_form_closes(stack):
    view = stack.driver.open_run_form("run Person Lookup")
    _hold_background_work(stack)
    answer = stack.driver.submit(view, form_values(view, PERSON))
    assert answer.status_code == 200 and answer.text == ""  # the form closes...
    (run,) = stack.bot.store.all_runs()  # ...only once the run is on disk
    assert run.inputs == PERSON and run.state == "queued"


def test_a_recorded_run_whose_follow_up_never_ran_is_still_delivered(stack):
    view = stack.driver.open_run_form("run Person Lookup")
    _hold_background_work(stack)
    stack.bot.runs.launch_grace = 0.5
    stack.driver.submit(view, form_values(view, PERSON))
    # the scheduler finds the recorded run, starts it and announces it with the result
    wait_for(lambda: [m for m in stack.standin.posts("C0SALES") if m.thread_ts], timeout=20)
    assert stack.sim.run_count == 1


def test_a_lone_surrogate_is_a_form_error_not_a_silent_loss(stack):
    view = stack.driver.open_run_form("run Person Lookup")
    answer = stack.driver.submit(view, form_values(view, {**PERSON, "full_name": "Ada \ud800"}))
    body = answer.json()
    assert body["response_action"] == "errors"
    assert "retype" in " ".join(body["errors"].values())
    assert stack.bot.store.all_runs() == []


def test_a_database_that_cannot_be_written_is_a_form_error(stack, monkeypatch):
    def refuse(*args, **kwargs):
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(stack.bot.store, "insert_run", refuse)
    view = stack.driver.open_run_form("run Person Lookup")
    answer = stack.driver.submit(view, form_values(view, PERSON))
    body = answer.json()
    assert body["response_action"] == "errors"
    said = " ".join(body["errors"].values())
    assert "could not save" in said and "Nothing was sent to BitScale" in said
    assert stack.sim.run_count == 0
