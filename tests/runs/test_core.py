"""The run core with a provider it has never heard of: what any provider gets for free."""

from __future__ import annotations

import ast
import sqlite3
from pathlib import Path

import pytest

from bot.providers.base import Outcome, Providers, ResultItem, ResultView
from bot.runs.service import RunService
from bot.runs.types import RunRequest
from bot.store.database import Store
from tests.factories import Clock
from tests.runs.test_runs import RecordingNotifier


class Echo:
    """A made-up third provider, scripted by the test."""

    name = "echo"
    label = "Echo"
    poll_interval = 2.0
    poll_rate = 5.0
    max_resubmits = 1
    interrupted_note = "Echo may have started it."

    def __init__(self) -> None:
        self.submits: list[str] = []
        self.polls: list[str] = []
        self.submit_answers: list[Outcome] = []
        self.poll_answers: list[Outcome] = []
        self.delay = 0.0

    def submit(self, run, priority=None, *, before_send=None, **_hints):
        if before_send is not None:
            before_send()  # the core marks the run "submitting" here
        self.submits.append(run.target)
        return self.submit_answers.pop(0) if self.submit_answers else Outcome.running("h1")

    def poll(self, run, **_hints):
        self.polls.append(run.request_id)
        return self.poll_answers.pop(0) if self.poll_answers else Outcome.running(run.request_id)

    def submit_delay(self):
        return self.delay

    def join_key(self, run):
        return f"echo:{run.target}"

    def render(self, run):
        return ResultView(items=[ResultItem("Echo", (run.outputs or {}).get("said"))])

    def check(self):
        return "echo is fine"

    def close(self):
        pass


@pytest.fixture
def core(tmp_path):
    clock, notifier, echo = Clock(1_000_000.0), RecordingNotifier(), Echo()
    store = Store(tmp_path / "runs.db")
    service = RunService(store, Providers(echo), notifier, clock=clock, inline=True)
    return service, echo, notifier, clock, store


def ask(user="U1", target="hello", **kw):
    return RunRequest(
        provider="echo",
        target=target,
        grid_name=f"Echo {target}",
        inputs={"text": target},
        user_id=user,
        channel_id="C1",
        **kw,
    )


def test_a_third_provider_runs_through_the_core(core):
    service, echo, notifier, clock, store = core
    run, _ = service.start_run(ask())
    saved = store.get_run(run.id)
    assert (saved.provider, saved.target, saved.state, saved.request_id) == (
        "echo",
        "hello",
        "running",
        "h1",
    )
    echo.poll_answers = [Outcome.done({"said": "hello"})]
    clock.now += 2
    service.tick()
    assert store.get_run(run.id).state == "completed"
    assert notifier.delivered == [(run.id, "completed", {"said": "hello"}, None)]
    assert service.providers.view(store.get_run(run.id)).items[0].value == "hello"


def test_a_second_request_for_a_pending_target_joins_it(core):
    service, echo, notifier, clock, store = core
    first, _ = service.start_run(ask("U1"))
    second, created = service.start_run(ask("U2"))
    other, _ = service.start_run(ask("U3", target="other"))
    assert created and second.joined_to == first.id and other.joined_to is None
    assert echo.submits == ["hello", "other"] and len(notifier.announced) == 3
    clock.now += 2
    service.tick()
    assert echo.polls == ["h1", "h1"]  # the joined run is never polled itself
    echo.poll_answers = [Outcome.done({"said": "hi"})]
    clock.now += 2
    service.tick()
    done = {d[0]: d[1:] for d in notifier.delivered}
    assert done[first.id] == done[second.id] == ("completed", {"said": "hi"}, None)
    assert store.get_run(second.id).notified_at
    # Once finished, the same target starts a new task.
    third, _ = service.start_run(ask("U4"))
    assert third.joined_to is None and echo.submits == ["hello", "other", "hello"]


def test_a_joined_run_waits_for_a_queued_leader_and_fails_with_it(core):
    service, echo, notifier, clock, store = core
    echo.delay = 600
    first, _ = service.start_run(ask("U1"))
    second, _ = service.start_run(ask("U2"))
    assert store.get_run(first.id).submit_after == clock.now + 600 and echo.submits == []
    assert second.joined_to == first.id
    echo.delay = 0
    clock.now += 600
    echo.submit_answers = [Outcome.failed("BAD", "Echo refused the text.")]
    service.tick()
    assert echo.submits == ["hello"]
    states = {d[0]: (d[1], d[3]) for d in notifier.delivered}
    assert states[second.id] == ("failed", "Echo refused the text.")


def test_a_dropped_task_is_resubmitted_once_then_fails(core):
    service, echo, notifier, clock, store = core
    run, _ = service.start_run(ask())
    echo.poll_answers = [Outcome.resubmit("GONE", "Echo dropped it.")] * 2
    clock.now += 2
    service.tick()  # the poll says gone: back in the queue
    assert store.get_run(run.id).state == "queued"
    service.tick()  # sent again
    assert echo.submits == ["hello", "hello"] and store.get_run(run.id).resubmits == 1
    clock.now += 2
    service.tick()
    saved = store.get_run(run.id)
    assert saved.state == "failed" and "already sent again once" in saved.error_message
    assert echo.submits == ["hello", "hello"]


def test_refused_submission_waits_and_transient_poll_errors_back_off(core):
    service, echo, _, clock, store = core
    echo.submit_answers = [Outcome.later(30, "BUSY", "Echo is busy; goes in later.")]
    run, _ = service.start_run(ask())
    saved = store.get_run(run.id)
    assert saved.state == "queued" and saved.submit_after == clock.now + 30
    clock.now += 30
    echo.poll_answers = [Outcome.retry("FLAKY", "Echo hiccuped.")]
    service.tick()
    clock.now += 2
    service.tick()
    saved = store.get_run(run.id)
    assert saved.state == "running" and saved.poll_errors == 1 and saved.error_code == "FLAKY"


def test_runs_of_a_provider_no_longer_set_up_are_told_so(tmp_path):
    clock, notifier, echo = Clock(1_000_000.0), RecordingNotifier(), Echo()
    store = Store(tmp_path / "runs.db")
    RunService(store, Providers(echo), notifier, clock=clock, inline=True).start_run(ask())
    without = RunService(store, Providers(), notifier, clock=clock, inline=True)
    without.tick()
    [run] = store.all_runs()
    assert run.state == "failed" and "no longer set up" in run.error_message
    assert notifier.delivered[-1][1] == "failed"


def test_recovery_uses_the_providers_own_note_and_ends_joined_runs(core):
    service, echo, notifier, clock, store = core
    echo.delay = 60
    first, _ = service.start_run(ask("U1"))
    second, _ = service.start_run(ask("U2"))
    store.update_run(first.id, state="submitting")
    assert service.recover() == 1
    assert store.get_run(first.id).error_message == Echo.interrupted_note
    assert store.get_run(second.id).state == "interrupted"


def test_an_old_database_gains_provider_and_target(tmp_path):
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    conn.execute(
        "CREATE TABLE runs (id TEXT PRIMARY KEY, dedupe_key TEXT, grid_id TEXT NOT NULL, "
        "grid_name TEXT, inputs TEXT, output_columns TEXT, user_id TEXT NOT NULL, "
        "channel_id TEXT, state TEXT NOT NULL, created_at FLOAT)"
    )
    conn.execute(
        "INSERT INTO runs VALUES ('r1', NULL, 'g1', 'Grid', '{}', NULL, 'U1', 'C1', 'running', 1.0)"
    )
    conn.commit()
    conn.close()
    for _ in range(2):  # idempotent: every start migrates
        store = Store(path)
        run = store.get_run("r1")
        assert (run.provider, run.target, run.grid_id, run.resubmits) == ("bitscale", "g1", "g1", 0)


def test_the_core_imports_no_provider():
    source = Path(__file__).resolve().parents[2] / "bot" / "runs" / "service.py"
    imported = set()
    for node in ast.walk(ast.parse(source.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module)
        elif isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
    providers = {m for m in imported if m.startswith(("bot.providers", "bot.providers.bitscale"))}
    assert providers == {"bot.providers.base"}
    assert not any(m.startswith("bot.slack") for m in imported)
    assert "bitscale" not in source.read_text().lower()
