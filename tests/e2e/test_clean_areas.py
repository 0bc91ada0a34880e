"""What the security review found clean stays clean: secrets never reach Slack, and what a
person types is data to SQL, never part of a statement."""

from __future__ import annotations

import json

from bot.playground.rigs.stack import BOT_TOKEN, SIGNING_SECRET
from bot.playground.slack.form_fill import form_values
from bot.playground.slack.records import wait_for
from tests.e2e.test_commands import blocks_text, command_reply

HOSTILE = "x' OR '1'='1'); DROP TABLE runs; --"


def _everything_slack_saw(stack) -> str:
    calls = [json.dumps(c.args, default=str) for c in stack.standin.calls]
    return "\n".join(calls + [json.dumps(r, default=str) for r in stack.standin.responses])


def test_a_refused_key_is_explained_in_slack_without_the_key_or_any_token(stack):
    key = stack.sim.api_key
    stack.sim.inject(path_contains="/run", status=401, code="INVALID_API_KEY", times=5)
    view = stack.driver.open_run_form("run Person Lookup")
    answer = stack.driver.submit(
        view, form_values(view, {"full_name": "Ada Lovelace", "company_domain": "acme.io"})
    )
    assert answer.status_code == 200
    (run,) = wait_for(lambda: [r for r in stack.bot.store.all_runs() if r.notified_at])
    assert run.state == "failed" and run.error_code == "INVALID_API_KEY"
    seen = _everything_slack_saw(stack)
    assert "API key" in seen  # the rep is told what went wrong
    for secret in (key, BOT_TOKEN, SIGNING_SECRET):
        assert secret not in seen


def test_typed_text_is_stored_as_typed_and_never_read_as_sql(stack):
    view = stack.driver.open_run_form("run Person Lookup")
    stack.driver.submit(view, form_values(view, {"full_name": HOSTILE, "company_domain": "a.io"}))
    (run,) = wait_for(lambda: [r for r in stack.bot.store.all_runs() if r.notified_at])
    assert run.inputs["full_name"] == HOSTILE  # stored verbatim, the table still there
    for words in (f"status {HOSTILE}", "status ' OR 1=1 --", "status %"):
        said = blocks_text(command_reply(stack, words)["blocks"])
        assert "Person Lookup" not in said  # matched no run
    assert stack.bot.store.count_runs() == 1
