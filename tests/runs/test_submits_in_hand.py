"""A flood of submissions waiting for the rate budget: only a few wait in threads, the
rest stay queued in the database, and every one is sent."""

from __future__ import annotations

import threading

from bot.playground.slack.records import wait_for
from bot.providers.base import Providers
from bot.runs.service import SUBMITS_IN_HAND, RunService
from bot.store.database import Store
from tests.factories import Clock
from tests.runs.test_core import Echo, ask
from tests.runs.test_runs import RecordingNotifier


class Budgeted(Echo):
    """Each submission waits for a slot the test hands out, as at a spent rate budget."""

    def __init__(self) -> None:
        super().__init__()
        self.slots = threading.Semaphore(0)
        self.lock = threading.Lock()
        self.waiting = self.most_waiting = 0

    def submit(self, run, priority=None, *, before_send=None, **_hints):
        with self.lock:
            self.waiting += 1
            self.most_waiting = max(self.most_waiting, self.waiting)
        self.slots.acquire()
        with self.lock:
            self.waiting -= 1
        return super().submit(run, priority, before_send=before_send)


def test_a_flood_keeps_only_a_few_submissions_waiting_and_sends_them_all(tmp_path):
    provider, clock = Budgeted(), Clock(1_000_000.0)
    store = Store(tmp_path / "runs.db")
    service = RunService(store, Providers(provider), RecordingNotifier(), clock=clock)
    try:
        for n in range(40):
            service.start_run(ask(f"U{n}", target=f"company-{n}"))
        wait_for(lambda: provider.waiting == SUBMITS_IN_HAND)
        assert provider.most_waiting == SUBMITS_IN_HAND
        queued = store.count_runs("state = 'queued'")
        assert queued == 40  # still queued while they wait: nothing is sent yet
        for _ in range(40):
            provider.slots.release()
            service.tick()
        wait_for(lambda: len(provider.submits) == 40 or service.tick())
        assert provider.most_waiting == SUBMITS_IN_HAND
        assert sorted(provider.submits) == sorted(f"company-{n}" for n in range(40))
    finally:
        service.shutdown(wait=False)
        store.close()
