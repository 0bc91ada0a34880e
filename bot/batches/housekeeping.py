"""The housekeeping pass over live batches, every half second or so: rows the provider
never finishes expire, credits are checked, a pause is told, the end is noticed and the
summary posted and the file attached (finish.py), the progress message edited; a batch
whose preparer died is prepared again (prepare.py). Each pass reads the database, so
processes sharing it see the same batches; what only one of them may do is claimed there
first (posts.py, finish.py)."""

from __future__ import annotations

import logging
from collections.abc import Callable

from bot.batches.feeder import FEED_LEASE_SECONDS, Feeder
from bot.batches.finish import Finisher
from bot.batches.posts import BatchPosts
from bot.batches.progress import Progress
from bot.batches.stops import Stops
from bot.batches.store import ACTIVE_STATES, Batch, BatchStore
from bot.store.sql import marks

log = logging.getLogger(__name__)

# The longest a pause notice waits for rows other processes hold (their feed claims last
# this long, unless a process's clock runs ahead of this one's).
PAUSE_WAIT_SECONDS = FEED_LEASE_SECONDS


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
        self._pause_seen: dict[str, float] = {}  # paused batch -> when this pass first saw it

    def active(self) -> list[Batch]:
        states, params = marks("state_", ACTIVE_STATES)
        return self.store.where(f"state IN ({states})", params)

    def run(self, now: float) -> None:
        batches = self.active() + self.store.where(
            "state IN ('done', 'cancelled') AND file_posted_at IS NULL"
        )  # the summary or the file still owed (finish.py)
        if not batches:
            return  # idle: no writes
        self.stops.expire_rows(now)
        if any(b.state == "running" for b in batches):
            self.stops.check_credits(now, batches)
        unsaid = {b.id for b in batches if b.state == "paused" and not b.pause_notified}
        self._pause_seen = {k: v for k, v in self._pause_seen.items() if k in unsaid}
        for batch in batches:
            try:
                self._one(batch, now)
            except Exception:  # noqa: BLE001 - one batch's trouble must not stop the others
                log.exception("housekeeping of batch %s failed", batch.id)

    def _one(self, batch: Batch, now: float) -> None:
        if batch.state == "preparing" and (batch.prepare_lease or now) < now:
            self.prepare(batch)  # its preparer died or could not announce it
            return
        if batch.state == "paused" and not batch.pause_notified:
            if self._stopped_sending(batch, now):
                self.posts.notify_pause(batch)
                self._pause_seen.pop(batch.id, None)
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

    def _stopped_sending(self, batch: Batch, now: float) -> bool:
        """Stop sending before saying so: a paused batch's notice waits for the rows let go
        before the pause to be sent, in this process and in the others (a row another
        process has claimed may be one), but no longer than PAUSE_WAIT_SECONDS."""
        first_seen = self._pause_seen.setdefault(batch.id, now)
        if now - first_seen >= PAUSE_WAIT_SECONDS:
            return True
        if self.feeder.sending(batch.id):
            return False
        # Of this process's own rows, those not let go will not be sent (they ask first).
        return not self.store.rows_in_hand(batch.id, now) - self.feeder.waiting(batch.id)
