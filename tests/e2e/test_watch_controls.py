"""The list's other buttons end to end (Edit, Run now), an admin managing another person's
watch, a crafted edit form refused, the App Home listing watches, and a firing the
credits cannot pay for pausing the watch with its owner told why and how to resume."""

from __future__ import annotations

import time

from bot.governance.policy import PERSON_BUDGET, WORKSPACE_BUDGET
from bot.playground.slack.form_fill import watch_values
from bot.playground.slack.records import wait_for
from tests.e2e.test_home import home_text, open_home
from tests.e2e.test_watches import (
    ADMIN,
    Clock,
    as_user,
    create_watch,
    digests,
    fire,
    make_stack,
    only_watch,
    press,
    text_of,
    thread_of,
)
from tests.e2e.test_watches import clock as clock  # noqa: F401 - fixtures
from tests.e2e.test_watches import stack as stack  # noqa: F401


def edit_form(stack, driver, watch_id):
    """Press Edit as `driver`'s person; the edit form Slack shows them."""
    since = len(stack.standin.view_log)
    driver.click(
        {"action_id": "watch_edit", "type": "button", "value": watch_id}, channel_id="C0SALES"
    )
    return stack.driver.next_view(since, "watch_edit")


def test_the_owner_edits_a_watch_and_another_person_cannot_submit_their_form(tmp_path):
    with make_stack(tmp_path, BITSCALE_BOT_ADMINS=ADMIN) as stack:
        stack.bot.watches.set_clock(Clock(time.time()))
        create_watch(stack)
        watch = only_watch(stack)
        form = edit_form(stack, stack.driver, watch.id)
        shown = str(form["blocks"])
        assert "3 rows (kept as they are)" in shown and "file_input" not in shown

        # Bob replays Ana's edit form (its private metadata and all) as his own submission
        bob = as_user(stack, "U0BOB")
        crafted = watch_values(
            form, outputs=["employee_count"], every="daily", at="07:00", channel="C0SALES"
        )
        refused = text_of(bob.submit(form, crafted).json()["view"]["blocks"])
        assert "Only <@U0ANA>, who made this watch, or an admin can edit it" in refused
        assert only_watch(stack).schedule == watch.schedule
        assert stack.bot.policy.audit.entries(actor="U0BOB", action="refused")

        answer = stack.driver.submit(form, crafted)
        assert answer.status_code == 200 and "Watch saved" in answer.text
        edited = only_watch(stack)
        assert edited.schedule.every == "daily" and edited.schedule.at == "07:00"
        assert edited.schedule.tz == watch.schedule.tz  # the creator's zone is kept
        assert [o["id"] for o in edited.outputs] == ["employee_count"]
        assert edited.next_at != watch.next_at
        (entry,) = stack.bot.policy.audit.entries(actor="U0ANA", action="watch_edited")

        # an admin may edit, pause and resume someone else's watch
        admin = as_user(stack, ADMIN)
        form = edit_form(stack, admin, watch.id)
        answer = admin.submit(
            form,
            watch_values(
                form,
                outputs=["employee_count", "tech_stack"],
                every="weekly",
                weekday=2,
                at="10:30",
                channel="C0SALES",
            ),
        )
        assert "Watch saved" in answer.text
        edited = only_watch(stack)
        assert edited.schedule.weekday == 2 and len(edited.outputs) == 2
        assert edited.owner == "U0ANA"  # still Ana's
        assert "Paused" in press(stack, admin, "watch_pause", watch.id)
        assert "Resumed" in press(stack, admin, "watch_resume", watch.id)
        assert only_watch(stack).state == "active"
        bob.close()
        admin.close()


def test_run_now_fires_at_once_off_the_schedule(stack, clock):
    create_watch(stack)
    parent = thread_of(stack)
    watch = only_watch(stack)
    assert "Running now" in press(stack, stack.driver, "watch_run_now", watch.id)
    first = wait_for(lambda: digests(stack, parent), 30)[0]
    shown = text_of(first.blocks)
    assert "First check of 3 accounts" in shown and "Late" not in shown
    (firing,) = stack.bot.watches.store.firings_of(watch.id)
    assert firing.kind == "manual"
    assert only_watch(stack).next_at == watch.next_at  # the schedule is untouched
    assert stack.bot.policy.audit.entries(actor="U0ANA", action="watch_run_now")

    # the scheduled firing then compares against the baseline Run now recorded
    stack.sim.change_outputs(
        "Company Enrichment", {"company_name": "Acme"}, {"employee_count": 4321}
    )
    second = fire(stack, clock, 2)
    assert "1 of 3 accounts changed" in text_of(second.blocks)
    assert "Acme · Employee count " in text_of(second.blocks)


def test_run_now_refused_while_a_firing_is_on_its_way_or_the_watch_is_paused(stack, clock):
    create_watch(stack)
    watch = only_watch(stack)
    assert "Paused" in press(stack, stack.driver, "watch_pause", watch.id)
    assert "resume it first" in press(stack, stack.driver, "watch_run_now", watch.id)
    assert stack.bot.watches.store.firings_of(watch.id) == []


def test_the_app_home_lists_the_persons_watches(stack, clock):
    create_watch(stack)
    open_home(stack, "U0ANA", "EvW1")
    home = wait_for(
        lambda: "Your watches" in home_text(stack, "U0ANA") and home_text(stack, "U0ANA")
    )
    assert "Company Enrichment" in home and "every Monday at 09:00" in home
    assert "Next:" in home and "no firing yet" in home
    open_home(stack, "U0BOB", "EvW2")
    other = wait_for(lambda: home_text(stack, "U0BOB"))
    assert "Your watches" not in other  # not his


def test_a_firing_the_credits_cannot_pay_for_pauses_and_tells_the_owner(stack, clock):
    create_watch(stack)
    parent = thread_of(stack)
    fire(stack, clock, 1)  # the grid's cost per row is measured now
    assert stack.bot.batches.cost_per_run(only_watch(stack).grid_id)
    stack.sim.set_credits_remaining(1)
    watch = only_watch(stack)
    clock.now = watch.next_at + 30  # past the credits' short cache as well
    notice = wait_for(
        lambda: [
            m for m in stack.standin.posts("C0SALES", thread_ts=parent.ts) if "paused" in m.text
        ],
        20,
    )[0]
    assert "<@U0ANA>, this watch paused" in notice.text
    assert "credits" in notice.text and "1 left" in notice.text
    assert "press Resume" in text_of(notice.blocks)
    paused = only_watch(stack)
    assert paused.state == "paused" and paused.pause_code == "credits"
    assert len(stack.sim.runs_for("Company Enrichment")) == 3  # the first firing's only
    assert "Paused:" in stack.driver.command("watches")[0].text

    stack.sim.set_credits_remaining(20_000)
    assert "Resumed" in press(stack, stack.driver, "watch_resume", watch.id)
    second = fire(stack, clock, 2)
    assert "No change in 3 accounts" in text_of(second.blocks)


def test_credits_running_out_during_a_firing_pause_it_and_resume_finishes_it(stack, clock):
    create_watch(stack)
    parent = thread_of(stack)
    stack.sim.set_credits_remaining(0)  # the cost is not measured yet: the firing starts
    watch = only_watch(stack)
    clock.now = watch.next_at + 1
    notice = wait_for(
        lambda: [
            m for m in stack.standin.posts("C0SALES", thread_ts=parent.ts) if "paused" in m.text
        ],
        30,
    )[0]
    assert "<@U0ANA>, this watch paused" in notice.text and "press Resume" in str(notice.blocks)
    assert only_watch(stack).state == "paused"
    (firing,) = stack.bot.watches.store.firings_of(watch.id)
    assert firing.state == "running" and digests(stack, parent) == []

    stack.sim.set_credits_remaining(20_000)
    assert "Resumed" in press(stack, stack.driver, "watch_resume", watch.id)
    first = wait_for(lambda: digests(stack, parent), 30)[0]  # the same firing, finished
    assert "First check of 3 accounts" in text_of(first.blocks)
    assert len(stack.bot.watches.store.firings_of(watch.id)) == 1
    time.sleep(0.3)
    assert len(digests(stack, parent)) == 1


def test_the_cost_before_saving_names_the_budgets_it_is_checked_against(stack, clock):
    shown = text_of(create_watch(stack, confirm=False)["blocks"])
    assert "Budgets: none set" in shown
    stack.bot.policy.settings.set(PERSON_BUDGET, 500, actor=ADMIN)
    stack.bot.policy.settings.set(WORKSPACE_BUDGET, 5000, actor=ADMIN)
    shown = text_of(create_watch(stack, confirm=False)["blocks"])
    assert (
        "Budgets: 3 rows a firing, against your 500 rows a day and the workspace's "
        "5,000 rows a day; each firing fits today's" in shown
    )
    stack.bot.policy.settings.set(PERSON_BUDGET, 2, actor=ADMIN)
    shown = text_of(create_watch(stack, confirm=False)["blocks"])
    assert "⚠️ Budgets:" in shown and "the watch pauses and you are told" in shown
