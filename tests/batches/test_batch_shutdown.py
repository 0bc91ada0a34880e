"""A batch process that stops, or stumbles halfway, lets go of what it claimed (on each
backend): its loop's last pass ends before it stops, and a row it claimed again is let go
with that claim."""

from __future__ import annotations

import threading
from types import SimpleNamespace

from bot.batches.feeder import FEED_LEASE_SECONDS, Feeder
from bot.batches.store import BatchStore
from bot.store.database import Store
from tests.batches.test_batch_processes import Clock, Slack, WaitsForASlot, service
from tests.batches.test_batch_store_backends import NOW, running_batch


def test_a_row_claimed_again_while_it_waited_for_a_slot_is_let_go_with_that_claim(
    database_target,
):
    running_batch(database_target, 2)
    first, second = Store(database_target), Store(database_target)
    batches, slots = BatchStore(first), WaitsForASlot()
    provider = SimpleNamespace(request_rate=2.0, batch_priority=9)  # room for four rows
    feeder = Feeder(
        batches, slots, provider, workers=4, stopping=threading.Event(), wake=threading.Event()
    )
    feeder.feed(NOW + 1)  # both rows wait for a slot
    later = NOW + FEED_LEASE_SECONDS + 2
    feeder.feed(later)  # their claims ran out meanwhile: one is claimed again, by this feeder
    assert len(batches.rows_in_hand("b1", later)) == 1
    batches.move("b1", ("running",), state="paused", pause_code="OUT_OF_CREDITS")
    slots.free.set()  # the slots come: the batch is paused, so the rows are let go unsent
    feeder.shutdown(wait=True)
    assert slots.sent == []
    # another process may take both now (and the pause notice waits for neither)
    assert BatchStore(second).rows_in_hand("b1", later + 1) == set()
    first.close()
    second.close()


def test_a_stopping_batch_service_ends_its_loops_pass_before_it_stops(database_target):
    store = Store(database_target)
    batches = service(store, Slack(), Clock(NOW))
    in_pass, go_on, passes = threading.Event(), threading.Event(), []

    def slow_pass() -> None:  # finishing a batch, say: posting its summary
        passes.append("feed")
        in_pass.set()
        go_on.wait(10)

    batches.feed = slow_pass
    batches.start()
    assert in_pass.wait(10)
    stopping = threading.Thread(target=batches.stop)
    stopping.start()
    stopping.join(0.2)
    assert stopping.is_alive()  # the pass under way goes on using the store
    go_on.set()
    stopping.join(10)
    assert not stopping.is_alive() and passes == ["feed"]  # and no pass after it
    store.close()  # now nothing of the loop touches it
