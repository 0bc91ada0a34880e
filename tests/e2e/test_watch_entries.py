"""The other ways into a watch and out of it, end to end: a run result's Watch button (its
inputs as the one row), a finished batch's "Watch these rows" (the batch's rows), digests
by direct message (Only me), and "only when something changes" (a quiet firing posts
nothing at all)."""

from __future__ import annotations

import time

from bot.playground.slack.form_fill import form_values, watch_values
from bot.playground.slack.records import wait_for
from tests.e2e.test_commands import button_in
from tests.e2e.test_watches import OUTPUTS, create_watch, digests, only_watch, text_of
from tests.e2e.test_watches import clock as clock  # noqa: F401 - fixtures
from tests.e2e.test_watches import stack as stack  # noqa: F401


def save_from(stack, form, **choices):
    """Fill the form a button opened (no file: the rows came with it), Next, Save."""
    since = len(stack.standin.view_log)
    values = watch_values(form, outputs=OUTPUTS, channel="C0SALES", **choices)
    assert stack.driver.submit(form, values).status_code == 200
    confirm = stack.driver.next_view(since, "watch_confirm")
    since = len(stack.standin.view_log)
    stack.driver.submit(confirm, {})
    wait_for(lambda: stack.standin.latest_view(since, lambda v: "Saved" in str(v)))
    return confirm


def test_a_results_watch_button_watches_its_inputs(stack, clock):
    view = stack.driver.open_run_form("run Company Enrichment")
    asked = {"company_name": "Initech", "website": "initech.com"}
    stack.driver.submit(view, form_values(view, asked, OUTPUTS))
    wait_for(lambda: (r := stack.bot.store.all_runs()) and r[0].notified_at)
    reply = next(m for m in stack.standin.posts("C0SALES") if m.thread_ts)
    since = len(stack.standin.view_log)
    stack.driver.click(button_in(reply, "watch_run"), message=reply, channel_id="C0SALES")
    form = stack.driver.next_view(since, "watch_form")
    assert "Rows: the inputs of this run" in str(form) and "file_input" not in str(form)
    confirm = save_from(stack, form)
    assert "Watch the inputs of this run" in text_of(confirm["blocks"])
    watch = only_watch(stack)
    assert watch.rows == 1
    assert [r.inputs for r in stack.bot.watches.store.rows(watch.id)] == [asked]


def test_a_batch_summarys_button_watches_the_batchs_rows(stack, clock):
    stack.driver.start_batch(b"company_name,website\nAcme,acme.io\nGlobex,globex.com\n")
    summary = wait_for(
        lambda: [
            m
            for m in stack.standin.posts("C0SALES")
            if m.thread_ts and "Watch these rows" in str(m.blocks)
        ],
        30,
    )[0]
    since = len(stack.standin.view_log)
    stack.driver.click(button_in(summary, "watch_batch"), message=summary, channel_id="C0SALES")
    form = stack.driver.next_view(since, "watch_form")
    assert "the 2 rows of this batch" in str(form)
    save_from(stack, form, every="monthly", day=31)
    watch = only_watch(stack)
    assert watch.rows == 2 and watch.schedule.every == "monthly" and watch.schedule.day == 31
    inputs = sorted(r.inputs["company_name"] for r in stack.bot.watches.store.rows(watch.id))
    assert inputs == ["Acme", "Globex"]


def test_only_me_digests_come_by_direct_message(stack, clock):
    create_watch(stack, options=("only_me",))
    watch = only_watch(stack)
    assert watch.channel_id is None
    assert not [m for m in stack.standin.posts("C0SALES") if "is watching" in m.text]
    clock.now = watch.next_at + 1
    dm = wait_for(lambda: only_watch(stack).thread_channel)
    assert dm.startswith("D")
    parent = next(m for m in stack.standin.posts(dm, top_level=True) if "is watching" in m.text)
    first = wait_for(lambda: digests(stack, parent, dm), 30)[0]
    assert "First check of 3 accounts" in text_of(first.blocks)


def test_only_when_something_changes_posts_nothing_for_a_quiet_firing(stack, clock):
    create_watch(stack, options=("only_changes",))
    watch = only_watch(stack)
    parent = wait_for(
        lambda: [
            m for m in stack.standin.posts("C0SALES", top_level=True) if "is watching" in m.text
        ]
    )[0]
    clock.now = watch.next_at + 1
    wait_for(lambda: digests(stack, parent), 30)  # the first check records the baseline
    nxt = only_watch(stack).next_at
    clock.now = nxt + 1
    done = wait_for(
        lambda: [
            f
            for f in stack.bot.watches.store.firings_of(watch.id)
            if f.scheduled_at == nxt and f.state == "done"
        ],
        30,
    )
    assert done and done[0].posted_at is None
    time.sleep(0.3)  # ticks enough to post it, if anything would
    assert len(digests(stack, parent)) == 1
    assert "0 of 3 changed" in only_watch(stack).last_result
