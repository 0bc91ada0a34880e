"""A flood of forms: once a backlog builds up behind BitScale's 5 requests a second, runs
go sync, and each rep's result comes the moment BitScale has it, once, in their thread."""

from __future__ import annotations

import re

from bot.playground.slack.records import wait_for
from tests.e2e.test_commands import blocks_text
from tests.e2e.test_same_question import replies, submit

FORMS = 30


def test_a_flood_of_forms_goes_sync_and_every_rep_is_answered_once(stack):
    # BitScale says "slow down" for 2 s at the first run: the forms pile up meanwhile
    stack.sim.inject(method="POST", path_contains="/run", status=429,
                     code="RATE_LIMIT_EXCEEDED", retry_after=2)
    for n in range(FORMS):  # 20 s runs at BitScale: 0.2 s on the simulator's clock
        submit(stack.driver, {"company_name": f"Flood {n}", "duration_seconds": "20"})
    parents = wait_for(
        lambda: (p := stack.standin.posts("C0SALES", top_level=True)) and len(p) >= FORMS and p
    )
    wait_for(lambda: all(replies(stack, p) for p in parents), timeout=30)
    runs = stack.sim.runs_for("Load Test")
    assert len(runs) == FORMS  # each sent once
    # the backlog of 10 due was reached while BitScale held everyone back: most went sync
    assert sum(r.mode == "sync" for r in runs) >= FORMS // 2
    answered = sorted(blocks_text(replies(stack, p)[0].blocks) for p in parents)
    for n in range(FORMS):
        assert sum(bool(re.search(rf"Flood {n}\b", text)) for text in answered) == 1
    assert all(len(replies(stack, p)) == 1 for p in parents)  # told once
    done = stack.bot.store.count_runs("state = 'completed'")
    assert done == FORMS
