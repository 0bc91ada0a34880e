"""A batch process that stops, or stumbles halfway, lets go of what it claimed (on each
backend): its loop's last pass ends before it stops, a row it claimed again is let go with
that claim, a summary cut off halfway is tried again within seconds, not minutes, and a
file not attached after its summary (its upload failed, the process stopped) is attached
by a later pass, once, without the summary again."""

from __future__ import annotations

import threading
from types import SimpleNamespace

import pytest

from bot.batches.feeder import FEED_LEASE_SECONDS, Feeder
from bot.batches.finish import (
    FILE_GIVE_UP_SECONDS,
    REPLY_LEASE_SECONDS,
    RETRY_SECONDS,
    Finisher,
)
from bot.batches.progress import measure
from bot.batches.store import BatchStore
from bot.runs.types import DeliveryError
from bot.store.database import Store
from tests.batches.test_batch_processes import Clock, Slack, WaitsForASlot, service
from tests.batches.test_batch_store_backends import NOW, Notifier, running_batch


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


def finished_batch(target: str) -> tuple[Store, BatchStore]:
    running_batch(target, 2)
    store = Store(target)
    batches = BatchStore(store)
    batches.update("b1", message_ts="1.0", post_channel="C0SALES")
    for row in store.sql.query("SELECT id FROM runs WHERE batch_id = 'b1'"):
        store.update_run(row["id"], state="completed", submitted_at=NOW + 1,
                         finished_at=NOW + 2, outputs={"employees": {"value": 3}})
    assert batches.move("b1", ("running",), state="done", finished_at=NOW + 3)
    return store, batches


def test_a_summary_cut_off_halfway_is_tried_again_within_seconds(database_target):
    store, batches = finished_batch(database_target)
    clock, notifier = Clock(NOW + 10), Notifier()

    def closed_client() -> int:  # the provider's client, closed by a stopping process
        raise RuntimeError("Cannot send a request, as the client has been closed.")

    done = batches.get("b1")
    progress = measure(done, batches.counts("b1"), clock.now)
    with pytest.raises(RuntimeError):
        Finisher(batches, notifier, closed_client, clock).finish(done, progress)
    clock.now += 11  # another process's pass, moments later (not 120 s)
    Finisher(batches, notifier, lambda: 90, clock).finish(batches.get("b1"), progress)
    assert len(notifier.summaries) == 1 and len(notifier.files) == 1
    assert batches.get("b1").file_posted_at is not None
    store.close()


class Killed(BaseException):
    """The process ends here: none of its own handlers run (SIGKILL, the machine gone)."""


class Finishing(Slack):
    """Slack as a batch's end posts to it; the next upload raises `fail_file` if set."""

    def __init__(self) -> None:
        super().__init__()
        self.summaries: list[str] = []
        self.files: list[bytes] = []
        self.fail_file: BaseException | None = None

    def batch_reply_exists(self, batch) -> bool:
        return batch.id in self.summaries

    def batch_finished(self, batch, report) -> None:
        self.summaries.append(batch.id)

    def attach_batch_result(self, batch, report) -> None:
        failure, self.fail_file = self.fail_file, None
        if failure is not None:
            raise failure
        self.files.append(report.result)


def test_a_file_whose_upload_failed_is_attached_by_a_later_pass_without_a_second_summary(
    database_target,
):
    store, batches = finished_batch(database_target)
    clock, slack = Clock(NOW + 10), Finishing()
    slack.fail_file = DeliveryError("Slack could not be reached (URLError)")
    bot = service(store, slack, clock)
    bot.housekeep()
    ended = batches.get("b1")
    assert slack.summaries == ["b1"] and slack.files == []
    assert ended.reply_posted_at is not None and ended.file_posted_at is None
    bot.housekeep()  # the next pass, half a second on: the retry is not due yet
    assert slack.files == []
    clock.now += RETRY_SECONDS + 1
    bot.housekeep()
    bot.housekeep()
    assert slack.summaries == ["b1"] and len(slack.files) == 1 and slack.files[0]
    assert batches.get("b1").file_posted_at is not None
    store.close()


def test_a_process_stopped_between_the_summary_and_the_file_leaves_the_file_to_another(
    database_target,
):
    store, batches = finished_batch(database_target)
    clock, slack = Clock(NOW + 10), Finishing()
    slack.fail_file = Killed()
    with pytest.raises(Killed):
        service(store, slack, clock).housekeep()
    assert slack.summaries == ["b1"] and slack.files == []
    other = Store(database_target)
    survivor = service(other, slack, clock)
    clock.now += 60
    survivor.housekeep()  # the stopped process's claim still holds the file step
    assert slack.files == []
    clock.now = NOW + 10 + REPLY_LEASE_SECONDS + 1
    survivor.housekeep()
    survivor.housekeep()
    assert slack.summaries == ["b1"] and len(slack.files) == 1
    assert batches.get("b1").file_posted_at is not None
    store.close()
    other.close()


def test_a_file_still_not_attached_an_hour_after_its_summary_is_given_up(database_target):
    store, batches = finished_batch(database_target)
    clock, slack = Clock(NOW + 10), Finishing()
    slack.fail_file = DeliveryError("Slack said internal_error")
    bot = service(store, slack, clock)
    bot.housekeep()
    clock.now += FILE_GIVE_UP_SECONDS + 1
    bot.housekeep()  # given up: no upload, and the batch is no longer looked at
    assert slack.summaries == ["b1"] and slack.files == []
    assert batches.get("b1").file_posted_at == clock.now
    assert [b.id for b in batches.where("file_posted_at IS NULL")] == []
    store.close()
