"""Issue 26, notices go to the owner: when a person's batch finishes, is paused or waits
for an admin's approval, they get one DM as well as the thread update; `/bitscale dms off`
turns them off for them. On SQLite and on PostgreSQL."""

from __future__ import annotations

from bot.governance.policy import APPROVAL_THRESHOLD
from bot.playground.rigs.stack import fast_stack
from bot.playground.slack.records import wait_for
from tests.e2e.test_batches import LEADS, parent_of, run_batch, summary_of, text_of

OWNER_DM = "D0ANA"  # the driver's person, U0ANA


def owner_dms(stack, word: str) -> list:
    return [m for m in stack.standin.posts(OWNER_DM) if word in m.text]


def test_a_finished_batch_is_told_to_its_owner_once(tmp_path, backend_settings):
    settings = {"BATCH_PROGRESS_SECONDS": 0.2, **backend_settings}
    with fast_stack(tmp_path, settings=settings) as stack:
        run_batch(stack, LEADS.encode())
        parent = parent_of(stack)
        assert "Done: " in summary_of(stack, parent)  # the thread update, as before
        (dm,) = wait_for(lambda: owner_dms(stack, "finished"), 10)
        assert "Company Enrichment" in dm.text and "<#C0SALES>" in dm.text
        assert "finished: 4 done, 0 failed" in dm.text and "/bitscale dms off" in text_of(dm.blocks)
        stack.restart_bot()  # nothing is told twice after a restart
        wait_for(lambda: stack.bot.batches.active() == [], 10)
        assert len(owner_dms(stack, "finished")) == 1
        assert owner_dms(stack, "paused") == owner_dms(stack, "approval") == []


def test_a_paused_batch_and_one_waiting_for_approval_are_told(tmp_path, backend_settings):
    settings = {"BATCH_PROGRESS_SECONDS": 0.2, "BITSCALE_BOT_ADMINS": "U0ADMIN", **backend_settings}
    with fast_stack(tmp_path, settings=settings) as stack:
        stack.sim.state.feature_enabled = False  # the first row pauses the whole batch
        run_batch(stack, LEADS.encode())
        (dm,) = wait_for(lambda: owner_dms(stack, "is paused"), 20)
        assert "Company Enrichment" in dm.text

        stack.bot.policy.settings.set(APPROVAL_THRESHOLD, 2, actor="U0ADMIN")
        run_batch(stack, LEADS.encode().replace(b"Globex", b"Hooli"))
        (dm,) = wait_for(lambda: owner_dms(stack, "approval"), 10)
        assert "waiting for an admin's approval" in dm.text
        assert len(owner_dms(stack, "is paused")) == 1


def test_a_person_who_turned_them_off_gets_none(tmp_path, backend_settings):
    settings = {"BATCH_PROGRESS_SECONDS": 0.2, **backend_settings}
    with fast_stack(tmp_path, settings=settings) as stack:
        answer, _, _ = stack.driver.command("dms off")
        assert "*off*" in answer.json()["text"]
        run_batch(stack, LEADS.encode())
        assert "Done: " in summary_of(stack, parent_of(stack))
        wait_for(lambda: stack.bot.batches.active() == [], 10)
        assert owner_dms(stack, "finished") == []
        answer, _, _ = stack.driver.command("dms")
        assert "*off*" in answer.json()["text"]
        answer, _, _ = stack.driver.command("dms on")
        assert "*on*" in answer.json()["text"]
