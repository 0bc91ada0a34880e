"""Watches end to end: the real Bolt app, the Slack stand-in and the BitScale simulator, with
the watches' schedule on an injected clock (the batch rows run on the simulator's own)."""

from __future__ import annotations

import csv
import io
import time

import pytest

from bot.playground.rigs.stack import fast_stack
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
def stack(tmp_path):
    with make_stack(tmp_path) as s:
        yield s


@pytest.fixture
def clock(stack):
    clock = Clock(1_780_000_000.0)  # a Thursday in May 2026
    stack.bot.watches.set_clock(clock)
    return clock


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
