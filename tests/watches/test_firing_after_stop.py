"""A firing waits for its batch's end, file included: a process stopped between the batch's
summary and its file leaves the firing to a later pass of another process, which digests
it once the file step is done (on each backend). Before, no pass took the file step up again
and the firing stayed running for ever."""

from __future__ import annotations

import pytest

from bot.batches.finish import REPLY_LEASE_SECONDS
from bot.store.database import Store
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
