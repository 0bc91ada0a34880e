"""Two processes (two Store objects on one database, on each backend) running one batch
service each: a batch being prepared is announced by one of them, a pause is told once
every process has let go of the rows it had in hand, and a process that stops gives its
rows to the others at once."""

from __future__ import annotations

import threading
from types import SimpleNamespace

from bot.batches.feeder import FEED_LEASE_SECONDS, Feeder
from bot.batches.housekeeping import PAUSE_WAIT_SECONDS
from bot.batches.prepare import PREPARE_LEASE_SECONDS
from bot.batches.service import BatchService
from bot.batches.store import BatchStore
from bot.store.database import Store
from tests.batches.test_batch_store_backends import NOW, SHEET, new_batch, running_batch


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class Slack:
    """What the batch services post; `during_announce` runs while the next post is on its
    way."""

    def __init__(self) -> None:
        self.announced = 0
        self.pauses = 0
        self.during_announce = lambda: None

    def announce_batch(self, batch, progress):
        self.announced += 1
        during, self.during_announce = self.during_announce, lambda: None
        during()
        return "C0SALES", f"{self.announced}.0", None

    def update_batch(self, batch, progress) -> None:
        pass

    def batch_paused(self, batch) -> None:
        self.pauses += 1


def service(store: Store, slack: Slack, clock: Clock, credits_left=None) -> BatchService:
    provider = SimpleNamespace(
        name="bitscale", label="BitScale", request_rate=5.0, batch_priority=9,
        batch_stop_codes=frozenset(), credits_exhausted_code="OUT_OF_CREDITS",
        credits_left=credits_left or (lambda urgent=False: 100),
    )  # fmt: skip
    runs = SimpleNamespace(results=None, clock=clock)
    return BatchService(BatchStore(store), runs, provider, slack, clock=clock, workers=2)


def test_a_process_starting_while_another_announces_a_batch_leaves_it_to_that_one(
    database_target,
):
    first, second = Store(database_target), Store(database_target)
    batches = BatchStore(first)
    batch, _ = batches.insert(new_batch(batches, SHEET))
    clock, slack = Clock(NOW), Slack()
    creating, starting = service(first, slack, clock), service(second, slack, clock)
    # the second process starts up while the first one's announcement is on its way
    slack.during_announce = starting.resume_preparing
    creating.launch(batch)
    assert slack.announced == 1
    started = batches.get(batch.id)
    assert started.state == "running" and started.message_ts == "1.0"
    assert batches.counts(batch.id) == {"queued": 4}
    first.close()
    second.close()


def test_a_batch_whose_preparer_died_is_prepared_by_another_without_a_second_post(
    database_target,
):
    first, second = Store(database_target), Store(database_target)
    batches = BatchStore(first)
    batch, _ = batches.insert(new_batch(batches, SHEET))
    # the first process claimed it, posted its message, and died before the rows went in
    assert batches.claim_preparation(batch.id, NOW, PREPARE_LEASE_SECONDS)
    batches.update(batch.id, post_channel="C0SALES", message_ts="1.0")
    clock, slack = Clock(NOW + 1), Slack()
    other = service(second, slack, clock)
    other.resume_preparing()  # its own start-up: the batch is still the first one's
    other.housekeep()
    assert batches.get(batch.id).state == "preparing"
    clock.now = NOW + PREPARE_LEASE_SECONDS + 1
    other.housekeep()  # the claim ran out: this process finishes preparing it
    assert batches.get(batch.id).state == "running" and slack.announced == 0
    assert batches.counts(batch.id) == {"queued": 4}
    first.close()
    second.close()


def paused_batch_with_a_row_in_another_process(target: str, lease: float):
    """b1 is running; the second process's feeder claims a row (on its way to a request
    slot), then the batch pauses. (stores, the first process's batches, the row)"""
    running_batch(target, 3)
    first, second = Store(target), Store(target)
    batches = BatchStore(first)
    batches.update("b1", message_ts="1.0", post_channel="C0SALES")
    held = BatchStore(second).claim_row("b1", NOW + 1, lease=lease)
    assert held is not None
    assert batches.move("b1", ("running",), state="paused", pause_code="OUT_OF_CREDITS")
    return (first, second), batches, held


def test_a_pause_is_told_once_rows_another_process_holds_are_let_go(database_target):
    stores, batches, held = paused_batch_with_a_row_in_another_process(
        database_target, FEED_LEASE_SECONDS
    )
    clock, slack = Clock(NOW + 2), Slack()
    telling = service(stores[0], slack, clock)
    telling.housekeep()
    assert slack.pauses == 0  # the other process may still send its row
    clock.now += 1
    BatchStore(stores[1]).release_row(held)  # its worker found the batch paused
    telling.housekeep()
    telling.housekeep()
    assert slack.pauses == 1 and batches.get("b1").pause_notified == 1
    for store in stores:
        store.close()


def test_a_pause_is_told_within_a_bound_whatever_another_process_holds(database_target):
    # a claim far ahead of this process's clock (another machine's clock runs ahead)
    stores, batches, _ = paused_batch_with_a_row_in_another_process(database_target, 600)
    clock, slack = Clock(NOW + 2), Slack()
    telling = service(stores[0], slack, clock)
    telling.housekeep()
    clock.now += PAUSE_WAIT_SECONDS - 1
    telling.housekeep()
    assert slack.pauses == 0
    clock.now += 1
    telling.housekeep()
    assert slack.pauses == 1
    for store in stores:
        store.close()


class WaitsForASlot:
    """The run core's part as the feeder sees it, with every request slot taken: a row
    handed to `submit_now` waits until `free` is set, then asks whether it is still
    wanted."""

    def __init__(self) -> None:
        self.free = threading.Event()
        self.sent: list[str] = []

    def submit_now(self, run_id, priority=None, still_wanted=None, *, fold=False) -> None:
        self.free.wait(10)
        if still_wanted is None or still_wanted():
            self.sent.append(run_id)


def test_a_stopping_process_gives_its_claimed_rows_to_the_others_at_once(database_target):
    running_batch(database_target, 6)
    first, second = Store(database_target), Store(database_target)
    slots, stopping = WaitsForASlot(), threading.Event()
    provider = SimpleNamespace(request_rate=1.0, batch_priority=9)
    feeder = Feeder(
        BatchStore(first), slots, provider, workers=2, stopping=stopping, wake=threading.Event()
    )
    feeder.feed(NOW + 1)  # two rows wait for a slot
    other = BatchStore(second)
    assert len(other.rows_in_hand("b1", NOW + 2)) == 2
    stopping.set()  # SIGTERM
    feeder.shutdown()
    # the other process takes all six now, not four now and two when the claims run out
    taken = [other.claim_row("b1", NOW + 2, 30) for _ in range(6)]
    slots.free.set()
    feeder.shutdown(wait=True)
    assert slots.sent == [] and all(taken)  # none sent by the stopping process
    first.close()
    second.close()
