"""A batch that pauses stops sending before it says it has stopped (issue 23, item 10):
rows already waiting for a request slot when the pause came stay queued, nothing goes to
BitScale after the pause notice, and after Resume each row reaches BitScale once."""

from __future__ import annotations

from bot.playground.rigs.stack import fast_stack
from bot.playground.slack.records import wait_for
from tests.e2e.test_batches import parent_of, summary_of

ROWS = 15


def test_nothing_is_sent_after_the_pause_notice(tmp_path):
    # async rows (the default): many rows wait at the rate limiter when the first answer
    # refuses the key for the whole batch
    settings = {"BATCH_PROGRESS_SECONDS": 0.2}
    with fast_stack(tmp_path, settings=settings) as stack:
        stack.sim.state.feature_enabled = False
        sheet = "company_name,website\n" + "".join(f"C{i},c{i}.io\n" for i in range(ROWS))
        stack.driver.start_batch(sheet.encode())
        parent = parent_of(stack)
        wait_for(
            lambda: [
                m for m in stack.standin.posts("C0SALES", thread_ts=parent.ts) if "paused" in m.text
            ],
            20,
        )
        (notice,) = [
            c
            for c in stack.standin.calls_to("chat.postMessage")
            # the notice in the batch's thread (the requester's DM copy aside)
            if "paused" in str(c.args.get("text")) and c.args.get("thread_ts") == parent.ts
        ]

        def run_posts():
            return [r for r in stack.sim.state.records if r.method == "POST" and "/run" in r.path]

        refused = run_posts()
        assert refused, "the batch was paused by a refused run request"
        store = stack.bot.store
        wait_for(lambda: store.count_runs("batch_id IS NOT NULL AND state != 'queued'") == 0)
        # every row handed to a sender has come back (sent, or left in the queue)
        wait_for(lambda: not stack.bot.batches._feeder._state.outstanding, 10)
        late = [r for r in run_posts() if r.at >= notice.at]
        assert late == [], f"{len(late)} run requests went out after the pause notice"
        stack.sim.state.feature_enabled = True
        resume = next(
            e
            for b in notice_blocks(stack, parent)
            for e in b.get("elements", [])
            if e.get("type") == "button"
        )
        stack.driver.click(resume, message=notice_message(stack, parent))
        summary = summary_of(stack, parent)
        assert f"Done: {ROWS}" in summary
        assert stack.sim.run_count == ROWS  # each row reached BitScale once


def notice_message(stack, parent):
    return next(
        m for m in stack.standin.posts("C0SALES", thread_ts=parent.ts) if "paused" in m.text
    )


def notice_blocks(stack, parent):
    return [b for b in notice_message(stack, parent).blocks if b["type"] == "actions"]
