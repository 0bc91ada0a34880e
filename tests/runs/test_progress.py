"""Slow runs' announcements say "still running", throttled, through the notifier."""

from __future__ import annotations

from concurrent.futures import Executor

from bot.runs.progress import ProgressReporter
from bot.slack.blocks.results import duration, still_running
from bot.store.database import Store
from tests.factories import make_run


class Inline(Executor):
    def submit(self, fn, /, *args, **kwargs):  # type: ignore[override]
        fn(*args, **kwargs)


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str, float, float | None]] = []

    def progress(self, run, elapsed, usual):
        self.calls.append((run.id, run.state, round(elapsed), usual))


def setup(tmp_path, **kw):
    store = Store(tmp_path / "bot.db")
    clock = [1_000_000.0]
    notifier = Recorder()
    reporter = ProgressReporter(store, notifier, clock=lambda: clock[0], pool=Inline(), **kw)
    return store, clock, notifier, reporter


def add(store, run_id, created, state="running", **kw):
    fields = {"message_ts": "1.1", "post_channel": "C1", **kw}
    run = make_run(id=run_id, state=state, created_at=created, **fields)
    store.insert_run(run)
    return run


def test_a_slow_run_is_edited_at_most_every_20_s_and_never_after_it_ends(tmp_path):
    store, clock, notifier, reporter = setup(tmp_path)
    add(store, "slow", clock[0])
    add(store, "quiet", clock[0], message_ts=None)  # never announced: nothing to edit
    for step in range(0, 61, 5):  # a minute of 5 s scheduler ticks
        clock[0] = 1_000_000.0 + step
        reporter.tick()
    assert [c[2] for c in notifier.calls] == [20, 40, 60]
    store.update_run("slow", state="completed", finished_at=clock[0])
    clock[0] += 100
    reporter.tick()
    assert len(notifier.calls) == 3


def test_after_five_minutes_once_a_minute_and_the_total_is_capped(tmp_path):
    store, clock, notifier, reporter = setup(tmp_path, per_minute=5)
    start = clock[0]
    add(store, "old", start - 600, progress_at=start - 30)
    assert reporter.tick() is None and notifier.calls == []  # edited 30 s ago: not yet
    clock[0] = start + 30
    reporter.tick()
    assert [c[0] for c in notifier.calls] == ["old"]
    for i in range(10):
        add(store, f"r{i}", start - 100)
    reporter.tick()
    assert len(notifier.calls) == 5  # five a minute, however many runs are slow


def test_the_usual_duration_is_the_median_of_recent_completed_runs(tmp_path):
    store, clock, notifier, reporter = setup(tmp_path)
    assert reporter.usual("g1") is None
    for i, took in enumerate((60, 90, 600)):
        add(store, f"c{i}", 1000.0, state="completed", finished_at=1000.0 + took)
    assert reporter.usual("g1") == 90
    add(store, "now", clock[0] - 25)
    reporter.tick()
    assert notifier.calls == [("now", "running", 25, 90)]


def test_words():
    assert still_running(80, None) == "still running · 1 min 20 s"
    assert still_running(80, 150) == "still running · 1 min 20 s (usually about 3 min)"
    assert duration(45) == "45 s" and duration(3600 + 300) == "1 h 5 min"
