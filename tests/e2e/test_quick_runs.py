"""Quick runs: a channel's default grid, and `@BitScale acme.com`."""

from __future__ import annotations

import itertools
import json

from bot.playground.slack.form_fill import form_values, initial_inputs
from bot.playground.slack.records import is_run_form, wait_for

_events = itertools.count(100)


def mention(stack, text: str, channel: str = "C0SALES", thread_ts: str | None = None):
    """Post `text` as a person and deliver the app_mention event for it."""
    message = stack.standin.add_message(channel, text, user="U0ANA", thread_ts=thread_ts)
    event = {
        "type": "app_mention",
        "user": "U0ANA",
        "channel": channel,
        "ts": message.ts,
        "text": text,
        "team": "T0001",
    }
    if thread_ts:
        event["thread_ts"] = thread_ts
    assert stack.driver.event(event, f"Ev{next(_events)}").status_code == 200
    return message


def ack_text(answer) -> str:
    assert answer.status_code == 200
    return json.loads(answer.text)["text"] if answer.text else ""


def test_default_grid_words(stack):
    answer, _, _ = stack.driver.command("default")
    assert "has no default grid" in ack_text(answer)
    before = len(stack.standin.responses)
    stack.driver.command("default Email Finder")
    set_reply = wait_for(
        lambda: len(stack.standin.responses) > before and stack.standin.responses[-1]
    )
    assert "*Email Finder* is now the default grid of <#C0SALES>" in set_reply["text"]
    answer, _, _ = stack.driver.command("default")
    assert "*Email Finder*" in ack_text(answer) and "<@U0ANA>" in ack_text(answer)
    answer, _, _ = stack.driver.command("default off")
    assert "no longer has a default grid (it was *Email Finder*)" in ack_text(answer)
    answer, _, _ = stack.driver.command("default off")
    assert "nothing to clear" in ack_text(answer)
    before = len(stack.standin.responses)
    stack.driver.command("default e")  # many grids match
    many = wait_for(lambda: len(stack.standin.responses) > before and stack.standin.responses[-1])
    assert "Several grids match" in many["text"]


def test_mention_without_a_default_says_how_to_set_one(stack):
    lead = mention(stack, "<@UBOT0001> acme.com")
    reply = wait_for(lambda: stack.standin.posts("C0SALES", thread_ts=lead.ts))[0]
    assert "/bitscale default <grid>" in reply.text
    assert stack.sim.runs_for("Email Finder") == []


def test_mention_with_a_default_runs_it_in_the_thread(stack):
    before = len(stack.standin.responses)
    stack.driver.command("default Email Finder")
    wait_for(lambda: len(stack.standin.responses) > before)
    lead = mention(stack, "<@UBOT0001> can you look up <http://acme.com|acme.com>?")
    in_thread = lambda: stack.standin.posts("C0SALES", thread_ts=lead.ts)  # noqa: E731
    replies = wait_for(lambda: len(in_thread()) >= 2 and in_thread())
    assert "*Email Finder*" in replies[0].blocks[0]["text"]["text"]
    (run,) = stack.sim.runs_for("Email Finder")
    assert run.inputs == {"company_domain": "acme.com"}
    assert stack.standin.posts("C0SALES", top_level=True) == [lead]
    stored = stack.bot.store.all_runs()[0]
    assert stored.source == "mention" and stored.thread_ts == lead.ts


def test_mention_that_cannot_fill_every_input_offers_the_form(stack):
    before = len(stack.standin.responses)
    stack.driver.command("default Person Lookup")
    wait_for(lambda: len(stack.standin.responses) > before)
    lead = mention(stack, "<@UBOT0001> who runs acme.io?")
    reply = wait_for(lambda: stack.standin.posts("C0SALES", thread_ts=lead.ts))[0]
    assert "Company domain" in reply.blocks[0]["text"]["text"]
    assert "Full name" in reply.blocks[0]["text"]["text"]
    button = reply.blocks[1]["elements"][0]
    assert button["text"]["text"] == "Open the form"
    assert stack.sim.runs_for("Person Lookup") == []  # nothing ran

    since = len(stack.standin.view_log)
    stack.driver.click(
        {"action_id": button["action_id"], "type": "button", "value": button["value"]},
        message=reply,
    )
    form = wait_for(lambda: stack.standin.latest_view(since, is_run_form))
    values = initial_inputs(form)
    assert values == {"full_name": None, "company_domain": "acme.io"}
    stack.driver.submit(form, form_values(form, {"full_name": "Kay Ng"}))
    in_thread = lambda: stack.standin.posts("C0SALES", thread_ts=lead.ts)  # noqa: E731
    wait_for(lambda: len(in_thread()) >= 3)  # the offer, the announcement, the result
    (run,) = stack.sim.runs_for("Person Lookup")
    assert run.inputs == {"full_name": "Kay Ng", "company_domain": "acme.io"}
