"""Preparing a batch: claimed by one process, announced once, its file turned into queued
rows (expand.py, idempotent), the workspace's credits noted (credits.py), then it runs.

The claim (`prepare_lease`) makes a process starting up while another prepares a batch,
or two starting together, leave it to one; a process that dies meanwhile leaves it to the
others' housekeeping once the claim runs out (housekeeping.py)."""

from __future__ import annotations

import threading
from collections.abc import Callable

from bot.batches.credits import RecentCredits
from bot.batches.expand import EarlierResults, expand
from bot.batches.posts import BatchPosts
from bot.batches.store import Batch, BatchStore
from bot.providers.base import BatchProvider

# How long preparing a batch (its announcement, its rows, a credit reading) is one
# process's: a process that dies meanwhile leaves it to the others' housekeeping after this.
PREPARE_LEASE_SECONDS = 120.0


class Preparer:
    def __init__(
        self,
        store: BatchStore,
        provider: BatchProvider,
        posts: BatchPosts,
        earlier: EarlierResults,
        clock: Callable[[], float],
        wake: threading.Event,
    ) -> None:
        self.store = store
        self.provider = provider
        # One reading of the credits serves the batches that start within seconds of it.
        self.credits = RecentCredits(provider.credits_left, clock)
        self.posts = posts
        self.earlier = earlier
        self.clock = clock
        self._wake = wake

    def resume(self) -> None:
        """At start-up: finish preparing the batches a restart cut off (none that another
        process is preparing: each is claimed first)."""
        for batch in self.store.where("state = 'preparing'"):
            self.prepare(batch)

    def prepare(self, batch: Batch, *, urgent: bool = True) -> None:
        """Announce (once), expand the file into runs (idempotent), then let it run. Claimed
        first: of processes sharing the database, one prepares a batch at a time."""
        if not self.store.claim_preparation(batch.id, self.clock(), PREPARE_LEASE_SECONDS):
            return  # another process is preparing it
        batch = self.store.get(batch.id) or batch  # as the last process to prepare it left it
        if not self.posts.announce(batch):
            return  # the claim runs out, and a later pass tries again
        expand(self.store, batch, self.earlier, self.provider.name, self.clock())
        # Someone just pressed Start: a read now goes ahead of polls and other batches (a
        # scheduled batch waits its turn, behind the people); one seconds old serves both.
        credits = self.credits(urgent=urgent)
        self.store.move(
            batch.id,
            ("preparing",),
            state="running",
            started_at=self.clock(),
            credits_before=credits,
        )
        self._wake.set()
