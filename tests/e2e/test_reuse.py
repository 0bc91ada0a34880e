"""Reusing recent results, end to end: the second identical question costs nothing."""

from __future__ import annotations

import time

from bot.playground.rigs.stack import SIGNING_SECRET, fast_stack, scaled_timing
from bot.playground.slack.driver import SlackDriver
from bot.playground.slack.form_fill import form_values
from bot.playground.slack.records import wait_for
from bot.runs.reuse import DAY
from tests.e2e.test_commands import ack_blocks, blocks_text, reply_to
from tests.e2e.test_quick_runs import mention
from tests.factories import make_run

PERSON = {"full_name": "Ada Lovelace", "company_domain": "example.com"}
SAME_PERSON = {"full_name": "  Ada Lovelace ", "company_domain": "HTTPS://www.Example.com/"}


def ask(stack, driver, grid, inputs):
    """Submit a run form and wait for its thread reply; returns (parent, reply)."""
    before = len(stack.standin.posts("C0SALES", top_level=True))
    view = driver.open_run_form(f"run {grid}")
    driver.submit(view, form_values(view, inputs))
    parent = wait_for(lambda: stack.standin.posts("C0SALES", top_level=True)[before:])[0]
    reply = wait_for(lambda: stack.standin.posts("C0SALES", thread_ts=parent.ts))[0]
    return parent, reply


def maria(stack):
    return SlackDriver(
        stack.driver.url, SIGNING_SECRET, stack.standin, user_id="U0MARIA", user_name="maria"
    )


def button(message, label):
    return next(
        e
        for b in message.blocks
        if b["type"] == "actions"
        for e in b["elements"]
        if e["text"]["text"] == label
    )


def test_second_identical_form_reuses_without_asking_bitscale(stack):
    first = maria(stack)
    try:
        ask(stack, first, "Person Lookup", PERSON)
    finally:
        first.close()
    assert stack.sim.run_count == 1
    posts_before = stack.sim.count(path_contains="/run")

    parent, reply = ask(stack, stack.driver, "Person Lookup", SAME_PERSON)
    text = blocks_text(reply.blocks)
    assert "♻️ <@U0ANA> *Person Lookup*: from a run on <!date^" in text
    assert "by <@U0MARIA> — no credits spent" in text
    assert "*Job title*" in text and "ada.lovelace@example.com" in text
    assert button(reply, "Run fresh")
    assert reply.text.startswith("♻️ Person Lookup: from a run on ")
    assert "reused" in parent.text and "no credits spent" in blocks_text(parent.blocks)
    # nothing at all reached BitScale for the second question
    assert stack.sim.run_count == 1
    assert stack.sim.count(path_contains="/run") == posts_before

    # every surface says it was reused, and from when
    runs = ack_blocks(stack.driver.command("runs")[0])
    listed = "♻️ *Person Lookup* — reused an earlier result, no credits spent"
    assert listed in blocks_text(runs)
    reused = next(r for r in stack.bot.store.all_runs() if r.state == "reused")
    status = reply_to(stack, lambda: stack.driver.command(f"status {reused.id}"))
    status_text = blocks_text(status["blocks"])
    assert "Answered from a run on" in status_text and "<@U0MARIA>" in status_text
    original = next(r for r in stack.bot.store.all_runs() if r.user_id == "U0MARIA")
    assert reused.reused_from == original.id


def test_run_fresh_makes_exactly_one_real_run(stack):
    ask(stack, stack.driver, "Person Lookup", PERSON)
    _, reply = ask(stack, stack.driver, "Person Lookup", PERSON)
    assert stack.sim.run_count == 1
    fresh = button(reply, "Run fresh")
    stack.driver.click(fresh, message=reply)
    announced = wait_for(lambda: stack.standin.posts("C0SALES", top_level=True)[2:])[0]
    (result,) = wait_for(lambda: stack.standin.posts("C0SALES", thread_ts=announced.ts))
    assert "✅ <@U0ANA> *Person Lookup* is done." in blocks_text(result.blocks)
    # the reused answer now says fresh data was asked for, in place of its button
    marked = wait_for(
        lambda: "asked for a fresh run"
        in blocks_text(stack.standin.message("C0SALES", reply.ts).blocks)
    )
    assert marked
    before = len(stack.standin.responses)
    stack.driver.click(fresh, message=reply)  # pressed again (an old copy of the message)
    again = wait_for(lambda: stack.standin.responses[before:])[0]
    assert "already started" in again["text"]
    assert stack.sim.run_count == 2
    fresh_run = stack.bot.store.run_by_dedupe_key(f"fresh:{reply_run_id(fresh)}")
    assert fresh_run is not None and fresh_run.state == "completed"


def reply_run_id(action):
    return action["value"]


def test_an_expired_result_is_not_reused(stack):
    ask(stack, stack.driver, "Person Lookup", PERSON)
    # 31 days later, by the index's clock: the default 30-day window has passed
    stack.bot.runs.results.clock = lambda: time.time() + 31 * DAY
    _, reply = ask(stack, stack.driver, "Person Lookup", PERSON)
    assert "is done" in blocks_text(reply.blocks)
    assert stack.sim.run_count == 2


def test_a_failed_run_is_not_reused(stack):
    ask(stack, stack.driver, "Broken Enrichment", {"company_name": "Initech"})
    _, reply = ask(stack, stack.driver, "Broken Enrichment", {"company_name": "Initech"})
    assert "failed" in blocks_text(reply.blocks)
    assert stack.sim.run_count == 2


def test_reuse_days_zero_turns_reuse_off(tmp_path):
    with fast_stack(tmp_path, settings={"RESULT_REUSE_DAYS": 0, **scaled_timing(100)}) as stack:
        ask(stack, stack.driver, "Person Lookup", PERSON)
        ask(stack, stack.driver, "Person Lookup", PERSON)
        assert stack.sim.run_count == 2


def test_a_grid_with_no_stable_answer_is_never_reused(tmp_path):
    with fast_stack(
        tmp_path, settings={"RESULT_REUSE_GRID_DAYS": "person lookup=0; Email Finder=7"}
    ) as stack:
        for _ in range(2):
            ask(stack, stack.driver, "Person Lookup", PERSON)
            ask(stack, stack.driver, "Email Finder", {"company_domain": "acme.com"})
        assert len(stack.sim.runs_for("Person Lookup")) == 2
        assert len(stack.sim.runs_for("Email Finder")) == 1


def test_a_quick_run_reuses_and_says_so(stack):
    before = len(stack.standin.responses)
    stack.driver.command("default Email Finder")
    wait_for(lambda: len(stack.standin.responses) > before)
    replies = []
    for text in ("<@UBOT0001> acme.com please", "<@UBOT0001> what about https://www.ACME.com/"):
        lead = mention(stack, text)
        replies.append(wait_for(lambda lead=lead: two_in_thread(stack, lead)))
    assert "is done" in blocks_text(replies[0][1].blocks)
    second = blocks_text(replies[1][1].blocks)
    assert "♻️ <@U0ANA> *Email Finder*: from a run on" in second
    assert "no credits spent" in second
    assert len(stack.sim.runs_for("Email Finder")) == 1


def two_in_thread(stack, lead):
    posts = stack.standin.posts("C0SALES", thread_ts=lead.ts)
    return len(posts) >= 2 and posts


def test_a_crafted_run_fresh_on_someone_elses_private_answer_starts_nothing(stack):
    # Ben's Only-me answer, reused from an earlier run: in his DM, with his lead's inputs.
    grid = stack.sim.grid_named("Person Lookup")
    private = make_run(
        id="ben-private", grid_id=grid.id, grid_name="Person Lookup", user_id="U0BEN",
        inputs={"full_name": "Secret Target", "company_domain": "target.io"},
        channel_id=None, post_channel="D0BEN", state="reused", reused_from="older",
        reused_from_user="U0BEN", outputs={},
    )
    stack.bot.store.insert_run(private)
    before = len(stack.standin.responses)
    stack.driver.click(  # Ana sends the button's payload herself, from #sales
        {"action_id": "run_fresh", "value": "ben-private", "type": "button"},
        channel_id="C0SALES",
    )
    refused = wait_for(lambda: stack.standin.responses[before:])[0]
    assert "can't find that result" in refused["text"]
    time.sleep(0.2)
    assert stack.sim.run_count == 0
    assert stack.bot.store.run_by_dedupe_key("fresh:ben-private") is None
    assert [r.id for r in stack.bot.store.all_runs()] == ["ben-private"]  # nothing new


def test_run_fresh_posts_where_it_was_pressed(stack):
    # Ben's answer was posted in #sales, so Ana, there too, may ask for fresh data.
    grid = stack.sim.grid_named("Person Lookup")
    stack.bot.store.insert_run(
        make_run(
            id="ben-shared", grid_id=grid.id, grid_name="Person Lookup", user_id="U0BEN",
            inputs=PERSON, channel_id="C0SALES", state="reused", reused_from="older",
            outputs={},
        )
    )
    stack.driver.click(
        {"action_id": "run_fresh", "value": "ben-shared", "type": "button"}, channel_id="C0SALES"
    )
    fresh = wait_for(lambda: stack.bot.store.run_by_dedupe_key("fresh:ben-shared"))
    assert fresh.user_id == "U0ANA" and fresh.channel_id == "C0SALES"
