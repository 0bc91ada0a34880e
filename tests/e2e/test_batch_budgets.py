"""Batches and the rows-per-day budgets (issue 27, N5 and N6): a batch's rows are counted
from the moment it is recorded, held for approval or not, and approval checks again."""

from __future__ import annotations

import pytest

from bot.governance.policy import APPROVAL_THRESHOLD, PERSON_BUDGET
from bot.playground.rigs.stack import SIGNING_SECRET, fast_stack
from bot.playground.slack.driver import SlackDriver
from bot.playground.slack.records import wait_for
from tests.e2e.test_approvals import button, ephemeral_answer, request_in
from tests.e2e.test_batches import LEADS, text_of
from tests.e2e.test_commands import blocks_text, saying

ADMIN = "U0ADMIN"
GRID = "Company Enrichment"
OTHERS = "Company Name,Website\nHooli,hooli.com\nVandelay,vandelay.io\nStark,stark.io\n"


@pytest.fixture
def stack(tmp_path, backend_settings):  # on SQLite, then on PostgreSQL
    settings = {"BITSCALE_BOT_ADMINS": ADMIN, "BATCH_PROGRESS_SECONDS": 0.2, **backend_settings}
    with fast_stack(tmp_path, settings=settings) as s:
        s.bot.policy.settings.set(PERSON_BUDGET, 3, actor=ADMIN)  # LEADS and OTHERS: 3 rows
        s.admin = SlackDriver(s.driver.url, SIGNING_SECRET, s.standin, user_id=ADMIN)
        yield s
        s.admin.close()


def test_two_previews_then_two_starts_spend_the_budget_once(stack):
    """N5: both previews fit a 3-row budget on their own; only the first Start may take it."""
    _, first = stack.driver.preview_batch(LEADS.encode())
    _, second = stack.driver.preview_batch(OTHERS.encode())
    assert "cannot start" not in text_of(first) and "cannot start" not in text_of(second)
    # The first batch's announcement is slow, so its rows are not runs yet when the
    # second Start arrives: the reservation must not wait for them.
    stack.standin.inject(method="chat.postMessage", accept_first=True, hang=0.5)
    stack.driver.submit(first, {})
    answer = stack.driver.submit(second, {})
    assert "That would be 3 rows, and you have 0 of your 3 rows a day left" in answer.text
    wait_for(lambda: len(stack.sim.runs_for(GRID)) == 3, 20)
    wait_for(lambda: stack.bot.batches.active() == [], 30)
    assert len(stack.sim.runs_for(GRID)) == 3
    assert len(stack.bot.batches.store.where("1 = 1")) == 1
    (refused,) = stack.bot.policy.audit.entries(action="refused")
    assert refused.entry == "batch" and refused.outcome == "person_budget"


def test_a_held_batch_counts_and_approval_checks_the_budget_again(stack):
    """N6: a held batch's rows are taken while it waits; approving it checks again."""
    stack.bot.policy.settings.set(APPROVAL_THRESHOLD, 2, actor=ADMIN)
    stack.driver.start_batch(LEADS.encode())
    request = request_in(stack, "D0ADMIN")

    since = len(stack.standin.view_log)
    stack.driver.command(f"run {GRID}")
    refused = wait_for(lambda: stack.standin.latest_view(since, saying("a day left")))
    assert "That would be 1 row, and you have 0 of your 3 rows a day left" in blocks_text(
        refused["blocks"]
    )

    # The budget shrinks while the batch waits: approving it now would overspend.
    stack.bot.policy.settings.set(PERSON_BUDGET, 2, actor=ADMIN)
    answer = ephemeral_answer(
        stack, lambda: stack.admin.click(button(request, "approval_approve"), message=request)
    )
    assert "no longer fits" in answer["text"]
    assert "That would be 3 rows, and <@U0ANA> has 2 of their 2 rows a day left" in answer["text"]
    (batch,) = stack.bot.batches.store.where("1 = 1")
    assert batch.state == "awaiting_approval" and stack.sim.runs_for(GRID) == []
    assert stack.bot.services.approvals.pending()  # still waiting: it can be approved once it fits

    stack.bot.policy.settings.set(PERSON_BUDGET, 3, actor=ADMIN)
    stack.admin.click(button(request, "approval_approve"), message=request)
    wait_for(lambda: len(stack.sim.runs_for(GRID)) == 3, 20)
