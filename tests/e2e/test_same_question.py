"""Two reps asking the same question at once pay once: the second joins the run in flight
and both get the answer in their own thread."""

from __future__ import annotations

import time

from bot.playground.rigs.stack import SIGNING_SECRET
from bot.playground.slack.driver import SlackDriver
from bot.playground.slack.form_fill import form_values
from bot.playground.slack.records import SlackFault, wait_for
from tests.e2e.test_commands import blocks_text

# 20 s at BitScale: 0.2 s on the simulator's clock, 100x real time.
QUESTION = {"company_name": "Globex", "duration_seconds": "20"}


def maria(stack):
    return SlackDriver(
        stack.driver.url, SIGNING_SECRET, stack.standin, user_id="U0MARIA", user_name="maria"
    )


def submit(driver, inputs=QUESTION, **how):
    view = driver.open_run_form("run Load Test")
    answer = driver.submit(view, form_values(view, inputs, **how))
    assert answer.status_code == 200


def parents(stack, channel="C0SALES", count=2):
    return wait_for(
        lambda: (p := stack.standin.posts(channel, top_level=True)) and len(p) >= count and p
    )


def replies(stack, parent):
    return stack.standin.posts(parent.channel, thread_ts=parent.ts)


def both_answered(stack, parents_):
    return wait_for(lambda: all(replies(stack, p) for p in parents_), timeout=15)


def test_two_identical_forms_100_ms_apart_make_one_run_and_two_replies(stack):
    other = maria(stack)
    try:
        submit(stack.driver)
        time.sleep(0.1)
        submit(other)
        first, second = parents(stack)
        assert "The same question is already running (asked" in blocks_text(second.blocks)
        assert "you'll get its answer here" in blocks_text(second.blocks)
        both_answered(stack, [first, second])
    finally:
        other.close()
    assert len(stack.sim.runs_for("Load Test")) == 1
    for parent in (first, second):
        (reply,) = replies(stack, parent)
        assert "Globex" in blocks_text(reply.blocks)
    assert "<@U0MARIA>" in blocks_text(second.blocks)


def test_when_the_first_askers_reply_fails_the_second_is_still_answered(stack):
    # The first thread reply Slack is asked for (the first asker's result) is refused.
    stack.standin.faults.append(
        SlackFault("chat.postMessage", error="msg_blocks_too_long", thread_only=True)
    )
    other = maria(stack)
    try:
        submit(stack.driver)
        submit(other)
        first, second = parents(stack)
        wait_for(lambda: replies(stack, second), timeout=15)
    finally:
        other.close()
    assert "Globex" in blocks_text(replies(stack, second)[0].blocks)
    assert len(stack.sim.runs_for("Load Test")) == 1


def test_a_restart_while_two_requests_share_a_run_answers_both_once(stack):
    slow = {"company_name": "Initech", "duration_seconds": "150"}  # 1.5 s here
    other = maria(stack)
    try:
        submit(stack.driver, slow)
        submit(other, slow)
        pair = parents(stack)
        wait_for(lambda: stack.sim.runs_for("Load Test"))
    finally:
        other.close()
    stack.restart_bot()
    both_answered(stack, pair)
    time.sleep(0.5)  # ten scheduler ticks: long enough for a second answer to show
    assert [len(replies(stack, p)) for p in pair] == [1, 1]
    assert len(stack.sim.runs_for("Load Test")) == 1


def test_a_private_run_is_not_joined_by_another_person(stack):
    other = maria(stack)
    try:
        submit(stack.driver, deliver="me")  # Only me
        submit(other)
        mine = parents(stack, "D0ANA", 1)[0]
        theirs = parents(stack, "C0SALES", 1)[0]
        both_answered(stack, [mine, theirs])
    finally:
        other.close()
    assert "already running" not in blocks_text(theirs.blocks)
    assert len(stack.sim.runs_for("Load Test")) == 2
    assert stack.standin.posts("C0SALES", thread_ts=theirs.ts)
