"""The housekeeping pass over live batches, every half second or so: rows the provider
never finishes expire, credits are checked, a pause is told, the end is noticed and the
summary posted (finish.py), the progress message edited; a batch whose preparer died is
prepared again (prepare.py)."""

from __future__ import annotations

import logging
from collections.abc import Callable

from bot.batches.feeder import Feeder
from bot.batches.finish import Finisher
from bot.batches.posts import BatchPosts
from bot.batches.progress import Progress
from bot.batches.stops import Stops
from bot.batches.store import ACTIVE_STATES, Batch, BatchStore, marks

log = logging.getLogger(__name__)


class Housekeeping:
    def __init__(
        self,
        store: BatchStore,
        *,
        stops: Stops,
        feeder: Feeder,
        posts: BatchPosts,
        finisher: Finisher,
        prepare: Callable[[Batch], None],
        progress: Callable[[Batch], Progress],
        progress_seconds: float,
    ) -> None:
        self.store = store
        self.stops = stops
        self.feeder = feeder
        self.posts = posts
        self.finisher = finisher
        self.prepare = prepare
        self.progress = progress
        self.progress_seconds = progress_seconds

    def active(self) -> list[Batch]:
        states, params = marks("state_", ACTIVE_STATES)
        return self.store.where(f"state IN ({states})", params)

    def run(self, now: float) -> None:
        batches = self.active() + self.store.where(
            "state IN ('done', 'cancelled') AND reply_posted_at IS NULL"
        )
        if not batches:
            return  # idle: no writes
        self.stops.expire_rows(now)
        if any(b.state == "running" for b in batches):
            self.stops.check_credits(now, batches)
        for batch in batches:
            try:
                self._one(batch, now)
            except Exception:  # noqa: BLE001 - one batch's trouble must not stop the others
                log.exception("housekeeping of batch %s failed", batch.id)

    def _one(self, batch: Batch, now: float) -> None:
        if batch.state == "preparing" and (batch.prepare_lease or now) < now:
            self.prepare(batch)  # its preparer died or could not announce it
            return
        # Stop sending before saying so: a row let go before the pause is sent first.
        if batch.state == "paused" and not batch.pause_notified:
            if not self.feeder.sending(batch.id):
                self.posts.notify_pause(batch)
        if not batch.message_ts:
            return
        progress = self.progress(batch)
        if batch.state == "running" and progress.waiting == 0:
            if self.store.move(batch.id, ("running",), state="done", finished_at=now):
                batch = self.store.get(batch.id) or batch
        if batch.state in ("done", "cancelled") and progress.waiting == 0:
            self.finisher.finish(batch, progress)
            return
        due = (batch.progress_at or 0) + self.progress_seconds <= now
        if due and progress.seen() + batch.state != batch.progress_seen:
            self.posts.show_progress(batch, progress, now)
