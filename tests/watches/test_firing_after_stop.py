"""A firing cut off between two writes is taken up by a later pass (on each backend). It
waits for its batch's end, file included: a process stopped between the batch's summary and
its file leaves the firing to another process, which digests it once the file step is done
(before, no pass took that step up again and the firing stayed running for ever). Its own
digest and table: a table whose upload failed, or whose process stopped after the digest,
is attached once by a later pass, and the digest is never posted twice."""

from __future__ import annotations

import pytest

from bot.batches.finish import REPLY_LEASE_SECONDS
from bot.runs.types import DeliveryError
from bot.store.database import Store
from bot.watches.digest import Digest
from bot.watches.digest_posts import (
    ATTACH_GIVE_UP_SECONDS,
    LEASE_SECONDS,
    RETRY_SECONDS,
    DigestPosts,
)
from bot.watches.firings import Firings
from bot.watches.store import WatchStore
from tests.batches.test_batch_processes import Clock
from tests.batches.test_batch_processes import service as batch_service
from tests.batches.test_batch_shutdown import Finishing, Killed, finished_batch
from tests.batches.test_batch_store_backends import NOW
from tests.watches.test_watch_store_backends import draft
from tests.watches.test_watch_store_backends import service as watch_service


def test_a_firing_whose_batch_lost_its_file_step_is_digested_after_another_pass(
    database_target,
):
    store, batches = finished_batch(database_target)
    clock, slack = Clock(NOW + 10), Finishing()
    watch, _ = watch_service(store, clock).create(draft())
    watches = WatchStore(store)
    firing = watches.add_firing(watch.id, NOW, kind="manual", missed=0, now=NOW)
    watches.set_firing(firing.id, state="running", batch_id="b1", started_at=NOW)
    slack.fail_file = Killed()
    with pytest.raises(Killed):  # the summary is out; the process ends before the file
        batch_service(store, slack, clock).housekeep()

    other = Store(database_target)
    survivor = batch_service(other, slack, clock)
    following = Firings(WatchStore(other), survivor, None, policy=None, audit=None,  # type: ignore[arg-type]
                        credits_left=lambda: None, me="p2", clock=clock)  # fmt: skip
    following.follow(watches.firing(firing.id))
    assert watches.firing(firing.id).state == "running"  # the batch has not ended yet
    clock.now = NOW + 10 + REPLY_LEASE_SECONDS + 1
    survivor.housekeep()
    following.follow(watches.firing(firing.id))
    assert watches.firing(firing.id).state == "digested"
    assert slack.summaries == ["b1"] and len(slack.files) == 1
    store.close()
    other.close()


class Thread:
    """The watch's thread as Slack keeps it. The next table upload raises `fail_table`; the
    next digest post goes out and then raises `after_digest` (the process ends there)."""

    def __init__(self) -> None:
        self.digests: list[str] = []
        self.tables: list[str] = []
        self.fail_table: BaseException | None = None
        self.after_digest: BaseException | None = None

    def open_thread(self, watch) -> tuple[str, str]:
        return "C1", "1.0"

    def digest_posted(self, watch, firing) -> bool:
        return firing.id in self.digests

    def post_digest(self, watch, firing, digest) -> None:
        self.digests.append(firing.id)
        failure, self.after_digest = self.after_digest, None
        if failure is not None:
            raise failure

    def attach_table(self, watch, firing, table: str) -> None:
        failure, self.fail_table = self.fail_table, None
        if failure is not None:
            raise failure
        self.tables.append(table)


TABLE = "company,emp\nAcme,120\n"


def digested(target: str, clock: Clock) -> tuple[Store, WatchStore, str]:
    """A first firing, digested: its digest and table wait to be posted."""
    store = Store(target)
    watch, _ = watch_service(store, clock).create(draft())
    watches = WatchStore(store)
    firing = watches.add_firing(watch.id, clock.now, kind="manual", missed=0, now=clock.now)
    watches.set_firing(firing.id, state="digested", csv=TABLE,
                       digest=Digest(2, "accounts", new_rows=2).to_json())  # fmt: skip
    return store, watches, firing.id


def passes(posts: DigestPosts) -> None:
    posts.post_claimed()
    posts.attach_claimed()


def test_a_table_whose_upload_failed_is_attached_by_a_later_pass_without_a_second_digest(
    database_target,
):
    clock, thread = Clock(NOW), Thread()
    store, watches, firing_id = digested(database_target, clock)
    thread.fail_table = DeliveryError("Slack could not be reached (URLError)")
    posts = DigestPosts(watches, thread, me="p1", clock=clock)
    passes(posts)
    assert thread.digests == [firing_id] and thread.tables == []
    assert watches.firing(firing_id).state == "attaching"
    passes(posts)  # moments later: the retry is not due yet
    assert thread.tables == []
    clock.now += RETRY_SECONDS + 1
    passes(posts)
    passes(posts)
    assert thread.digests == [firing_id] and thread.tables == [TABLE]
    assert watches.firing(firing_id).state == "done"
    store.close()


@pytest.mark.parametrize("stops", ["after the digest", "before the table"])
def test_a_process_stopped_between_the_digest_and_its_table_leaves_the_table_to_another(
    database_target, stops,
):
    clock, thread = Clock(NOW), Thread()
    store, watches, firing_id = digested(database_target, clock)
    if stops == "after the digest":  # Slack has it; the process ends before writing so
        thread.after_digest = Killed()
    else:
        thread.fail_table = Killed()
    with pytest.raises(Killed):
        passes(DigestPosts(watches, thread, me="p1", clock=clock))
    assert thread.digests == [firing_id] and thread.tables == []
    other = Store(database_target)
    survivor = DigestPosts(WatchStore(other), thread, me="p2", clock=clock)
    clock.now += 30
    passes(survivor)  # the stopped process's claim still holds
    assert thread.tables == []
    clock.now = NOW + LEASE_SECONDS + 1
    passes(survivor)
    passes(survivor)
    assert thread.digests == [firing_id] and thread.tables == [TABLE]
    assert watches.firing(firing_id).state == "done"
    store.close()
    other.close()


def test_a_table_still_not_attached_an_hour_after_its_digest_is_given_up(database_target):
    clock, thread = Clock(NOW), Thread()
    store, watches, firing_id = digested(database_target, clock)
    thread.fail_table = DeliveryError("Slack said internal_error")
    posts = DigestPosts(watches, thread, me="p1", clock=clock)
    passes(posts)
    clock.now += ATTACH_GIVE_UP_SECONDS + 1
    passes(posts)
    assert thread.digests == [firing_id] and thread.tables == []
    assert watches.firing(firing_id).state == "done"
    store.close()
