"""The playground's first hour, round two: the shell neither crashes, loops nor drops
anything (issue 23, items 1–6). Each test is a transcript or a run a new user would see."""

from __future__ import annotations

import functools
import io
import re
import time

import pytest

from bot.playground.rigs import stack as stack_module
from bot.playground.rigs.bot_process import run_bot
from bot.playground.rigs.stack import LocalStack, fast_stack
from bot.playground.shell.session import Shell, owed_to_slack
from bot.playground.shell.start import run_shell
from bot.playground.simulators.bitscale import Simulator
from bot.playground.simulators.bitscale_saved import state_path
from bot.playground.slack.form_fill import form_values
from bot.playground.slack.records import wait_for


@pytest.fixture
def quick_sim(monkeypatch):
    """The shell's simulator on a clock 50x real time (runs end in a blink)."""
    monkeypatch.delenv("BITSCALE_API_KEY", raising=False)
    monkeypatch.setattr(stack_module, "Simulator", functools.partial(Simulator, time_scale=50))


def transcript(tmp_path, text: str, db: str = "shell.db") -> str:
    script = tmp_path / "session.txt"
    script.write_text(text)
    out = io.StringIO()
    assert run_shell(db_path=str(tmp_path / db), script=str(script), out=out) == 0
    return out.getvalue()


ADMIN_SESSION = """\
shortcut :: grid=Person Lookup; full_name=Bo; company_domain=bo.io; post_in=#marketing
/bitscale admin :: rows per person per day=5; alerts channel=#marketing; grid=Person; \
may run it=2; people=@bob
/bitscale audit
export csv
2026-13-01
2026-12-01

wait
"""


def test_channels_dates_grids_and_people_are_filled_in_forms(tmp_path, quick_sim):
    said = transcript(tmp_path, ADMIN_SESSION)
    assert "TypeError" not in said
    # item 1: a typed channel is a channel, in the run form and in the admin form
    assert "│ Post the result in (#channel, Enter = #sales, dm): #marketing" in said
    # the parent reads ⏳ or ✅: it is edited just after the reply is posted
    assert re.search(
        r"↳ BitScale, in the thread of “(✅ @ana ran|⏳ @ana started) \*Person Lookup", said
    )
    assert "in #marketing:" in said
    # item 4: the admin restricts a grid: type-ahead from the bot's options, then people
    assert "│ Grid (type part of its name; Enter = none): Person\n│   → Person Lookup" in said
    assert "│ Rows per person per day: 5" in said.split("│   → Person Lookup")[1]  # kept
    assert "│ People (@names; Enter = none): @bob" in said
    assert "✅ Saved, in effect now:" in said
    assert "• Alerts channel: #marketing" in said
    assert "Who may run *Person Lookup*: only @bob" in said
    # item 4: a date picker takes a date, asks again for a bad one, and the export comes
    assert "“2026-13-01” is not a date: type it as 2026-12-01." in said
    assert said.count("Pick an end on or after the start") == 0
    assert "📎 bitscale-audit-2026-12-01-to-" in said


def test_a_form_the_shell_cannot_fill_says_so_once_and_stops():
    from bot.playground.shell.views import fill_view

    class Answer:
        text = '{"response_action": "errors", "errors": {"when": "Pick a time."}}'

    class Driver:
        submitted = 0

        def submit(self, view, values):
            self.submitted += 1
            return Answer()

    class FakeShell:
        live = True
        names: dict = {}
        driver = Driver()
        said: list[str] = []

        def say(self, text=""):
            self.said.append(text)

        def read_line(self, prompt):
            return ""

    view = {
        "id": "V1",
        "submit": {"text": "Save"},
        "blocks": [
            {
                "type": "input",
                "block_id": "when",
                "label": {"text": "When"},
                "element": {"type": "timepicker", "action_id": "t"},
            }
        ],
    }
    shell = FakeShell()
    fill_view(shell, view, {})
    assert shell.driver.submitted == 1
    assert "  ⚠️ Pick a time." in shell.said and "  The form was not sent." in shell.said
    assert any("cannot fill this kind of field, timepicker" in s for s in shell.said)


def test_later_sessions_on_one_db_are_heard_and_a_missing_script_is_explained(tmp_path):
    db = str(tmp_path / "x.db")
    for _ in range(2):  # item 2: event ids unique across sessions (processes)
        done = run_bot("shell", "--db", db, input="home\n", env={"PATH": "/usr/bin:/bin"})
        assert done.returncode == 0, done.stderr
        assert "┌ BitScale · Home" in done.stdout
    # item 6: a script that is not there is a sentence, not a traceback
    missing = run_bot(
        "shell", "--script", str(tmp_path / "missing.txt"), env={"PATH": "/usr/bin:/bin"}
    )
    assert missing.returncode == 2
    assert "cannot read the script" in missing.stderr and "there is no such file" in missing.stderr
    assert "Traceback" not in missing.stderr


def test_wait_does_not_wait_for_batch_rows_one_by_one(tmp_path):
    """item 3: a finished batch owes nothing more (its rows are reported by the batch)."""
    with fast_stack(tmp_path, settings={"BATCH_RUN_MODE": "sync"}) as stack:
        stack.driver.start_batch(b"company_name,website\nA,a.io\nB,b.io\n")
        store = stack.bot.store
        posted = "SELECT COUNT(*) AS n FROM batches WHERE reply_posted_at IS NOT NULL"
        wait_for(lambda: store.sql.scalar(posted), 30)
        assert store.count_runs("batch_id IS NOT NULL") == 2
        assert owed_to_slack(store) == ""


def test_a_run_in_flight_at_quit_is_answered_in_the_next_session(tmp_path):
    """item 5: with --db the pretend BitScale remembers its runs; quit says so."""
    db = str(tmp_path / "shell.db")

    def stack() -> LocalStack:
        sim = Simulator(time_scale=20)
        sim.add_timed_grid("Slow Grid", 40)  # 2 real seconds: still running at quit
        return LocalStack(db, simulator=sim, simulator_memory=state_path(db), tick_seconds=0.05)

    with stack() as first:
        view = first.driver.open_run_form("run Slow Grid")
        first.driver.submit(view, form_values(view, {"company_name": "Acme"}))
        wait_for(lambda: first.bot.store.count_runs("request_id IS NOT NULL"))
        out = io.StringIO()
        lines = iter(["quit"])
        Shell(
            first, out, lambda prompt: next(lines, None), user="ana", channel="sales", live=True
        ).run()
        assert (
            "1 run still under way: the results are posted when you start the shell "
            "again with the same --db" in out.getvalue()
        )
    assert state_path(db).stat().st_mode & 0o077 == 0  # owner-only
    with stack() as second:
        (run,) = wait_for(
            lambda: [r for r in second.bot.store.all_runs() if r.notified_at], timeout=20
        )
        assert run.state == "completed" and run.error_code is None
    time.sleep(0)  # nothing else to wait for


def test_without_db_quit_with_a_run_in_flight_asks_again(tmp_path):
    sim = Simulator(time_scale=20)
    sim.add_timed_grid("Slow Grid", 40)
    with LocalStack(None, simulator=sim, tick_seconds=0.05) as stack:
        view = stack.driver.open_run_form("run Slow Grid")
        stack.driver.submit(view, form_values(view, {"company_name": "Acme"}))
        wait_for(lambda: stack.bot.store.count_runs("request_id IS NOT NULL"))
        out = io.StringIO()
        lines = iter(["quit", "quit"])
        asked: list[str] = []

        def read_line(prompt):
            asked.append(prompt)
            return next(lines, None)

        Shell(stack, out, read_line, user="ana", channel="sales", live=True).run()
        assert "leaving loses the results. Type wait to see them, or quit again" in out.getvalue()
        assert len(asked) == 2  # the second quit leaves
