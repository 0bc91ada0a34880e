"""A workflow step is completed once when processes race for it, on both backends."""

from __future__ import annotations

import threading
import time

from bot.runs.steps import StepCompleter
from bot.store.database import Store
from tests.factories import make_run


class Steps:
    def __init__(self) -> None:
        self.completed: list[str] = []
        self.lock = threading.Lock()

    def complete_step(self, run) -> None:
        time.sleep(0.01)  # Slack's answer takes a moment: the race window stays open
        with self.lock:
            self.completed.append(run.id)


def test_two_processes_racing_complete_each_step_once(database_target):
    seed = Store(database_target)
    for n in range(20):
        seed.insert_run(
            make_run(id=f"step{n:02d}", step_execution_id=f"Fx{n}", notified_at=1.0)
        )
    seed.close()
    steps = Steps()
    stores = [Store(database_target), Store(database_target)]
    completers = [StepCompleter(s, steps, time.time) for s in stores]
    start = threading.Barrier(4)

    def work(completer: StepCompleter) -> None:
        start.wait()
        for n in range(20):
            completer.complete(f"step{n:02d}")

    workers = [threading.Thread(target=work, args=(c,)) for c in completers * 2]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert sorted(steps.completed) == [f"step{n:02d}" for n in range(20)]
    assert all(r.step_completed_at for r in stores[0].all_runs())
    for store in stores:
        store.close()
