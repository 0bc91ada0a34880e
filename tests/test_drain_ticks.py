"""A SIGTERM's drain (bot/server.py) lets the scheduler's ticks under way end before it lets
go of the leader and instance leases: another process never takes the lead, or this one's
firings, while a tick here is still at work. The wait is bounded by the drain's budget."""

from __future__ import annotations

import signal
import threading
import time
from datetime import datetime, timezone
from types import SimpleNamespace

import pytest
from apscheduler.schedulers.background import BackgroundScheduler

from bot import server


class Lease:
    def __init__(self, name: str, tick_ended: threading.Event, released: list) -> None:
        self.name, self.tick_ended, self.released = name, tick_ended, released

    def release(self) -> None:
        self.released.append((self.name, self.tick_ended.is_set()))


class Runs:
    def __init__(self, during_drain=lambda: None) -> None:
        self.during_drain = during_drain

    def in_flight_submissions(self) -> int:
        return 0

    def shutdown(self, wait: bool) -> None:
        pass

    def drain(self, seconds: float) -> bool:
        self.during_drain()
        return True

    def pending_count(self) -> int:
        return 0


@pytest.fixture
def ticking(monkeypatch):
    """A scheduler with one tick under way that ends when `go_on` is set. (The drain's own
    SIGTERM handler is left out: a drain run from a test's thread may not set one.)"""
    monkeypatch.setattr(signal, "signal", lambda *_: None)
    in_tick, go_on, ended = threading.Event(), threading.Event(), threading.Event()

    def tick() -> None:
        in_tick.set()
        go_on.wait(30)
        ended.set()

    scheduler = BackgroundScheduler(timezone="UTC")
    scheduler.add_job(tick, "interval", seconds=3600, next_run_time=datetime.now(timezone.utc))
    scheduler.start()
    assert in_tick.wait(10)
    yield scheduler, go_on, ended
    go_on.set()


def bot_with(ended: threading.Event, runs: Runs) -> tuple[SimpleNamespace, list]:
    released: list = []
    bot = SimpleNamespace(
        batches=SimpleNamespace(stop=lambda: None), runs=runs,
        leader=Lease("leader", ended, released), heartbeat=Lease("instance", ended, released),
        store=SimpleNamespace(postgres=True),
    )  # fmt: skip
    return bot, released


def test_the_drain_lets_go_of_the_leases_only_once_the_tick_under_way_has_ended(ticking):
    scheduler, go_on, ended = ticking
    bot, released = bot_with(ended, Runs())
    draining = threading.Thread(target=server._drain, args=(bot, scheduler, [], 25.0))
    draining.start()
    draining.join(0.3)
    assert draining.is_alive() and released == []  # the runs are drained; the tick goes on
    go_on.set()
    draining.join(10)
    assert not draining.is_alive()
    assert released == [("leader", True), ("instance", True)]


def test_a_tick_that_does_not_end_holds_the_drain_no_longer_than_its_budget(ticking):
    scheduler, _go_on, ended = ticking
    now = [1000.0]
    bot, released = bot_with(ended, Runs(during_drain=lambda: now.__setitem__(0, 1024.9)))
    # the runs took 24.9 of the 25 s: the tick gets what is left, 0.1 s, not 5 s
    started = time.monotonic()
    server._drain(bot, scheduler, [], 25.0, clock=lambda: now[0])
    assert time.monotonic() - started < server.TICKS_WAIT_SECONDS
    assert released == [("leader", False), ("instance", False)]
