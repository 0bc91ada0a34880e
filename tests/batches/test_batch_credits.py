"""Credits at a batch's start: a storm of batches starting together (watch firings due at
the same minute) costs one read of the workspace, not one each, while a pause for want of
credits still acts on a fresh reading."""

from __future__ import annotations

from bot.batches.store import BatchStore
from bot.store.database import Store
from tests.batches.test_batch_processes import Clock, Slack, service
from tests.batches.test_batch_store_backends import NOW, SHEET, new_batch


class Workspace:
    """The provider's credit reads, counted."""

    def __init__(self, left: int) -> None:
        self.left, self.reads = left, 0

    def credits_left(self, *, urgent: bool = False) -> int | None:
        self.reads += 1
        return self.left


def test_batches_starting_within_seconds_share_one_credit_reading(tmp_path):
    store = Store(tmp_path / "bot.db")
    batches, clock, workspace = BatchStore(store), Clock(NOW), Workspace(500)
    bot = service(store, Slack(), clock, workspace.credits_left)
    made = []
    for n in range(20):  # twenty firings' batches, over nine seconds
        clock.now = NOW + n * 0.45
        batch, _ = batches.insert(new_batch(batches, SHEET, f"b{n}", dedupe_key=f"f{n}"))
        bot.launch(batch, urgent=False)
        made.append(batch.id)
    assert workspace.reads == 1
    assert {batches.get(b).credits_before for b in made} == {500}
    assert {batches.get(b).state for b in made} == {"running"}

    clock.now = NOW + 20  # the reading is too old now: the next start reads again
    workspace.left = 480
    late, _ = batches.insert(new_batch(batches, SHEET, "late", dedupe_key="late"))
    bot.launch(late)
    assert workspace.reads == 2 and batches.get("late").credits_before == 480
    store.close()


def test_running_out_of_credits_pauses_on_a_fresh_reading(tmp_path):
    store = Store(tmp_path / "bot.db")
    batches, clock, workspace = BatchStore(store), Clock(NOW), Workspace(500)
    bot = service(store, Slack(), clock, workspace.credits_left)
    batch, _ = batches.insert(new_batch(batches, SHEET))
    bot.launch(batch)
    workspace.left = 0  # spent a second later, within the start reading's age
    clock.now = NOW + 1
    bot.housekeep()
    assert workspace.reads == 2
    paused = batches.get(batch.id)
    assert paused.state == "paused" and paused.pause_code == "OUT_OF_CREDITS"
    store.close()
