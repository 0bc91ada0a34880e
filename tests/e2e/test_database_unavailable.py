"""A rep who acts while the database does not answer (PostgreSQL restarting, a failover)
is told "try again in a moment" where they acted, never a traceback or silence; once the
database answers again, the same action works. Through the real app over signed HTTP."""

from __future__ import annotations

import json
from contextlib import contextmanager

from bot.playground.slack.form_fill import form_values
from bot.playground.slack.records import wait_for
from bot.store.sql import DatabaseUnavailable

SENTENCE = "The database is not answering right now; try again in a moment."


@contextmanager
def database_down(stack, monkeypatch):
    """Every statement of the bot's store fails as it does while PostgreSQL restarts."""
    sql = stack.bot.store.sql

    def refuse(*_args, **_kwargs):
        raise DatabaseUnavailable("OperationalError")

    with monkeypatch.context() as patch:
        patch.setattr(sql, "_execute", refuse)
        patch.setattr(sql, "transaction", refuse)
        yield


def test_a_slash_command_answered_at_once_says_try_again(stack, monkeypatch):
    with database_down(stack, monkeypatch):
        answer, _, _ = stack.driver.command("runs")
    assert answer.status_code == 200
    assert json.loads(answer.text) == {"response_type": "ephemeral", "text": SENTENCE}
    assert "Traceback" not in answer.text
    answer, _, _ = stack.driver.command("runs")  # the database is back
    assert "blocks" in json.loads(answer.text)


def test_a_slash_command_answered_after_the_ack_says_try_again(stack, monkeypatch):
    before = len(stack.standin.responses)
    with database_down(stack, monkeypatch):
        answer, _, _ = stack.driver.command("status 0123456789ab")
        assert answer.status_code == 200
        reply = wait_for(
            lambda: len(stack.standin.responses) > before and stack.standin.responses[-1]
        )
    assert reply["text"] == SENTENCE


def test_a_form_submitted_while_the_database_is_down_stays_open_and_says_so(stack, monkeypatch):
    view = stack.driver.open_run_form("run Company Enrichment")
    values = form_values(view, {"company_name": "Acme Robotics", "website": "acme.io"})
    with database_down(stack, monkeypatch):
        answer = stack.driver.submit(view, values)
    assert answer.status_code == 200
    said = json.loads(answer.text)
    assert said["response_action"] == "errors"
    assert list(said["errors"].values()) == [SENTENCE]
    assert stack.bot.store.count_runs() == 0  # nothing half-made
    answer = stack.driver.submit(view, values)  # the same form, once the database is back
    assert answer.status_code == 200 and answer.text == ""
    wait_for(lambda: stack.bot.store.count_runs() == 1)


def test_a_button_pressed_while_the_database_is_down_says_try_again(stack, monkeypatch):
    before = len(stack.standin.responses)
    again = {"action_id": "run_again", "value": "some-run", "type": "button"}
    with database_down(stack, monkeypatch):
        answer = stack.driver.click(again)
    assert answer.status_code == 200
    reply = wait_for(lambda: len(stack.standin.responses) > before and stack.standin.responses[-1])
    assert reply["text"] == SENTENCE
    assert reply.get("response_type") == "ephemeral"


def test_a_mention_while_the_database_is_down_gets_an_ephemeral_answer(stack, monkeypatch):
    message = stack.standin.add_message("C0SALES", "<@UBOT0001> help", user="U0ANA")
    mention = {
        "type": "app_mention",
        "user": "U0ANA",
        "channel": "C0SALES",
        "ts": message.ts,
        "text": "<@UBOT0001> help",
    }
    with database_down(stack, monkeypatch):
        assert stack.driver.event(mention, "EvDown1").status_code == 200
        told = wait_for(lambda: [m for m in stack.standin.messages if m.ephemeral_for == "U0ANA"])
    assert [(m.channel, m.text) for m in told] == [("C0SALES", SENTENCE)]
