"""Watches end to end: the real Bolt app, the Slack stand-in and the BitScale simulator, with
the watches' schedule on an injected clock (the batch rows run on the simulator's own)."""

from __future__ import annotations

import csv
import io
import time

import pytest

from bot.governance.policy import APPROVAL_THRESHOLD, PERSON_BUDGET
from bot.playground.rigs.stack import SIGNING_SECRET, fast_stack
from bot.playground.slack.driver import SlackDriver
from bot.playground.slack.form_fill import watch_values
from bot.playground.slack.records import wait_for

ROWS = b"Company Name,Website\nAcme,acme.io\nGlobex,globex.com\nInitech,initech.com\n"
OUTPUTS = ["employee_count", "tech_stack"]


class Clock:
    """Real time shifted: setting `now` jumps there, and time goes on from it (leases and
    waits behave as they do in production)."""

    def __init__(self, now: float) -> None:
        self.now = now

    @property
    def now(self) -> float:
        return time.time() + self.offset

    @now.setter
    def now(self, value: float) -> None:
        self.offset = value - time.time()

    def __call__(self) -> float:
        return self.now


def make_stack(tmp_path, **settings):
    return fast_stack(tmp_path, settings={
        "BATCH_PROGRESS_SECONDS": 0.2, "BATCH_RUN_MODE": "sync", "WATCH_TICK_SECONDS": 0.05,
        **settings,
    })


@pytest.fixture
def stack(tmp_path, backend_settings):
    with make_stack(tmp_path, **backend_settings) as s:
        yield s


@pytest.fixture
def clock(stack):
    clock = Clock(time.time())  # starts as the real clock: a restarted bot agrees with it
    stack.bot.watches.set_clock(clock)
    return clock


def restart(stack, clock):
    """A deploy: a new bot process on the same database, on the same (shifted) clock."""
    stack.restart_bot()
    stack.bot.watches.set_clock(clock)


def text_of(blocks) -> str:
    out = []
    for b in blocks:
        if b.get("text"):
            out.append(b["text"]["text"])
        for e in b.get("elements", []):
            if isinstance(e, dict) and isinstance(e.get("text"), str):
                out.append(e["text"])
    return "\n".join(out)


def create_watch(stack, content=ROWS, *, outputs=OUTPUTS, confirm=True, **choices):
    """`/bitscale watch Company Enrichment`, the file, the choices, Next; (confirm view)."""
    since = len(stack.standin.view_log)
    stack.driver.command("watch Company Enrichment")
    form = stack.driver.next_view(since, "watch_form")
    file = stack.standin.add_file(content, "accounts.csv")
    since = len(stack.standin.view_log)
    choices.setdefault("channel", "C0SALES")
    answer = stack.driver.submit(form, watch_values(form, file=file, outputs=outputs, **choices))
    assert answer.status_code == 200
    view = stack.driver.next_view(since, "watch_confirm")
    if confirm:
        since = len(stack.standin.view_log)
        stack.driver.submit(view, {})
        wait_for(lambda: stack.standin.latest_view(since, lambda v: "Saved" in str(v)))
    return view


def only_watch(stack):
    (watch,) = stack.bot.watches.store.owned_by(None)
    return watch


def thread_of(stack, channel="C0SALES"):
    return wait_for(lambda: [m for m in stack.standin.posts(channel, top_level=True)
                             if "is watching" in m.text])[0]


def digests(stack, parent, channel="C0SALES"):
    return [m for m in stack.standin.posts(channel, thread_ts=parent.ts)
            if (m.metadata or {}).get("event_type") == "bitscale_watch_digest"]


def tables(stack, parent, count):
    """The CSVs attached in the watch's thread, once there are `count` of them."""
    def attached():
        found = [f for f in stack.standin.files.values() if f.get("thread_ts") == parent.ts]
        return found if len(found) >= count else None

    return [list(csv.reader(io.StringIO(f["content"].decode()))) for f in wait_for(attached)]


def fire(stack, clock, count, at=None, channel="C0SALES"):
    """Move the clock to the watch's next time (or `at`) and wait for digest `count`."""
    watch = only_watch(stack)
    clock.now = (at or watch.next_at) + 1
    parent = thread_of(stack, channel)
    return wait_for(lambda: digests(stack, parent, channel)[count - 1:], 30)[0]


def test_create_fire_change_and_the_digest_line_by_line(stack, clock):
    confirm = create_watch(stack)
    shown = text_of(confirm["blocks"])
    assert "Watch 3 rows of accounts.csv with *Company Enrichment*" in shown
    assert "every Monday at 09:00 (America/Los_Angeles)" in shown
    assert "Rows: *3* × credits per row: *unknown yet" in shown
    assert "firings a month: *4.35*" in shown and "Credits left: *21,850*" in shown
    watch = only_watch(stack)
    assert watch.state == "active" and watch.rows == 3 and watch.channel_id == "C0SALES"
    parent = thread_of(stack)
    assert "<@U0ANA> is watching 3 rows of *Company Enrichment*" in parent.text

    first = fire(stack, clock, 1)
    assert "First check of 3 accounts" in text_of(first.blocks)
    grid = stack.sim.grid_named("Company Enrichment")
    acme = grid.compute({"company_name": "Acme", "website": "acme.io"})
    gone = acme["tech_stack"][0]
    stack.sim.change_outputs("Company Enrichment", {"company_name": "Acme"}, {
        "employee_count": 180, "tech_stack": [*acme["tech_stack"][1:], "Heroku"]})
    stack.sim.change_outputs("Company Enrichment", {"company_name": "Globex"}, {
        # the same meaning written differently: not a change
        "employee_count": f"{grid.compute({'company_name': 'Globex'})['employee_count']:,}"})
    second = fire(stack, clock, 2)
    lines = text_of(second.blocks).splitlines()
    assert lines[0].startswith("🔔 *1 of 3 accounts changed*")
    assert lines[1] == (
        f"• Acme · Employee count {acme['employee_count']} → 180 · Tech stack +Heroku −{gone}")
    assert len(lines) == 3  # and the note about the file
    table = tables(stack, parent, 2)[-1]
    assert table[0][-3:] == ["watch_status", "watch_changes", "watch_error"]
    assert [r[-3] for r in table[1:]] == ["changed", "unchanged", "unchanged"]
    # one row per (watch, scheduled time), never fresh answers reused
    assert len(stack.bot.watches.store.firings_of(watch.id)) == 2
    assert len(stack.sim.runs_for("Company Enrichment")) == 6


ADMIN = "U0ADMIN"


def as_user(stack, user_id):
    return SlackDriver(stack.driver.url, SIGNING_SECRET, stack.standin, user_id=user_id)


def press(stack, driver, action_id, value):
    """Send a button's payload, as crafted as anyone likes; the private answer."""
    before = len(stack.standin.responses)
    driver.click({"action_id": action_id, "type": "button", "value": value},
                 channel_id="C0SALES")
    return wait_for(lambda: len(stack.standin.responses) > before
                    and stack.standin.responses[before])["text"]


def test_restart_between_two_firings_and_during_one(tmp_path, backend_settings):
    # async rows, as batches send them by default: a restart finds each sent row's result
    # by its request id (a sync row cut off mid-request is in doubt, never re-sent).
    with make_stack(tmp_path, BATCH_RUN_MODE="async", **backend_settings) as stack:
        clock = Clock(time.time())
        stack.bot.watches.set_clock(clock)
        check_restarts(stack, clock)


def check_restarts(stack, clock):
    create_watch(stack)
    parent = thread_of(stack)
    fire(stack, clock, 1)
    restart(stack, clock)  # between two firings: the baseline is in the database
    stack.sim.change_outputs("Company Enrichment", {"company_name": "Initech"},
                             {"employee_count": 7})
    second = fire(stack, clock, 2)
    assert "1 of 3 accounts changed" in text_of(second.blocks)
    assert "• Initech · Employee count " in text_of(second.blocks)

    watch = only_watch(stack)
    clock.now = watch.next_at + 1
    wait_for(lambda: any(f.state == "running" for f in stack.bot.watches.store.firings_of(
        watch.id)), 20)
    restart(stack, clock)  # during a firing: it finishes once, after the restart
    third = wait_for(lambda: digests(stack, parent)[2:], 30)[0]
    # Nothing changed. A row the restart cut off while it was being sent is in doubt and
    # never re-sent: it is listed as failing, apart from changes, and keeps its baseline.
    said = text_of(third.blocks)
    assert said.startswith(("✅ No change in 3 accounts", "🔔 *0 of 3 accounts changed*"))
    time.sleep(0.5)  # ticks enough to post twice, if anything could
    assert len(digests(stack, parent)) == 3
    assert len(stack.bot.watches.store.firings_of(watch.id)) == 3
    assert len(stack.sim.runs_for("Company Enrichment")) <= 9


def test_a_missed_firing_is_caught_up_once_and_says_it_is_late(stack, clock):
    create_watch(stack, every="daily")
    parent = thread_of(stack)
    watch = only_watch(stack)
    stack._stop_bot()  # down for three days and more
    clock.now = watch.next_at + 3 * 86400 + 3600
    stack._start_bot()
    stack.bot.watches.set_clock(clock)
    digest = wait_for(lambda: digests(stack, parent), 30)[0]
    shown = text_of(digest.blocks)
    assert "⏰ Late: due" in shown
    assert "3 earlier firings missed while the bot was down, caught up by this one." in shown
    time.sleep(0.5)
    (firing,) = stack.bot.watches.store.firings_of(watch.id)
    assert firing.missed == 3 and len(digests(stack, parent)) == 1
    assert only_watch(stack).next_at > clock.now


def test_pause_resume_and_nobody_else_may_touch_it_but_an_admin(tmp_path):
    with make_stack(tmp_path, BITSCALE_BOT_ADMINS=ADMIN) as stack:
        clock = Clock(time.time())
        stack.bot.watches.set_clock(clock)
        create_watch(stack)
        watch = only_watch(stack)
        listed, _, _ = stack.driver.command("watches")
        assert "Your watches" in listed.text and "Company Enrichment" in listed.text
        bob, admin = as_user(stack, "U0BOB"), as_user(stack, ADMIN)
        for action in ("watch_pause", "watch_delete", "watch_run_now", "watch_edit"):
            answer = press(stack, bob, action, watch.id)
            assert "Only <@U0ANA>, who made this watch, or an admin" in answer
        assert only_watch(stack).state == "active"
        refused = stack.bot.policy.audit.entries(actor="U0BOB", action="refused")
        assert len(refused) == 4
        assert "No watches yet" in bob.command("watches")[0].text  # not his to list

        assert "Paused" in press(stack, stack.driver, "watch_pause", watch.id)
        clock.now = watch.next_at + 60
        time.sleep(0.5)
        assert stack.bot.watches.store.firings_of(watch.id) == []  # paused: no firing
        assert "Resumed" in press(stack, stack.driver, "watch_resume", watch.id)
        resumed = only_watch(stack)
        assert resumed.state == "active" and resumed.next_at > clock.now  # no burst
        assert "All watches" in admin.command("watches")[0].text
        assert "Deleted" in press(stack, admin, "watch_delete", watch.id)
        assert stack.bot.watches.store.owned_by(None) == []
        actions = [e.action for e in stack.bot.policy.audit.entries()
                   if e.action.startswith("watch_")]
        assert {"watch_created", "watch_paused", "watch_resumed", "watch_deleted"} <= set(actions)
        bob.close()
        admin.close()


def test_a_firing_over_the_budget_does_not_start_and_the_owner_is_told(stack, clock):
    create_watch(stack)
    parent = thread_of(stack)
    stack.bot.policy.settings.set(PERSON_BUDGET, 2, actor=ADMIN)  # the watch has 3 rows
    watch = only_watch(stack)
    clock.now = watch.next_at + 1
    notice = wait_for(lambda: [m for m in stack.standin.posts("C0SALES", thread_ts=parent.ts)
                               if "paused" in m.text], 20)[0]
    assert "<@U0ANA>, this watch paused" in notice.text and "2 rows a day" in notice.text
    assert any(e["action_id"] == "watch_resume" for b in notice.blocks
               if b["type"] == "actions" for e in b["elements"])
    assert only_watch(stack).state == "paused"
    assert stack.sim.runs_for("Company Enrichment") == []  # nothing was spent
    (firing,) = stack.bot.watches.store.firings_of(watch.id)
    assert firing.state == "skipped"


def test_a_large_watch_waits_for_an_admin(tmp_path):
    with make_stack(tmp_path, BITSCALE_BOT_ADMINS=ADMIN) as stack:
        stack.bot.policy.settings.set(APPROVAL_THRESHOLD, 2, actor=ADMIN)
        confirm = create_watch(stack)
        assert "need an admin's approval" in text_of(confirm["blocks"])
        watch = only_watch(stack)
        assert watch.state == "awaiting_approval"
        request = wait_for(lambda: [m for m in stack.standin.posts("D0ADMIN")
                                    if "asks to watch" in text_of(m.blocks)])[0]
        approve = next(e for b in request.blocks if b["type"] == "actions"
                       for e in b["elements"] if e["action_id"] == "approval_approve")
        answer = press(stack, stack.driver, "approval_approve", approve["value"])
        assert "Only bot admins" in answer and only_watch(stack).state == "awaiting_approval"
        admin = as_user(stack, ADMIN)
        admin.click(approve, message=request)
        wait_for(lambda: only_watch(stack).state == "active")
        parent = thread_of(stack)
        wait_for(lambda: [m for m in stack.standin.posts("C0SALES", thread_ts=parent.ts)
                          if "approved this watch" in m.text])
        admin.close()
