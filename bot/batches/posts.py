"""A batch's own message: posted once, edited as the batch goes, told of a pause. Each
call is best effort: what fails is tried again at the next pass."""

from __future__ import annotations

import logging
from collections.abc import Callable

from bot.batches.progress import BatchNotifier, Progress
from bot.batches.store import Batch, BatchStore

log = logging.getLogger(__name__)


class BatchPosts:
    def __init__(
        self,
        store: BatchStore,
        notifier: BatchNotifier,
        progress: Callable[[Batch], Progress],
    ) -> None:
        self.store = store
        self.notifier = notifier
        self.progress = progress

    def announce(self, batch: Batch) -> bool:
        """Post the batch's message once (a held batch shows "waiting for approval")."""
        if batch.message_ts:
            return True
        try:
            channel, ts, reason = self.notifier.announce_batch(batch, self.progress(batch))
        except Exception as exc:  # noqa: BLE001 - retried at the next start
            log.warning("could not announce batch %s: %s", batch.id, exc)
            return False
        self.store.update(batch.id, post_channel=channel, message_ts=ts, fallback_reason=reason)
        batch.post_channel, batch.message_ts = channel, ts
        return True

    def show(self, batch_id: str) -> None:
        """Edit the batch's message to its current state (after a decision, say)."""
        batch = self.store.get(batch_id)
        if batch is None or not batch.message_ts:
            return
        try:
            self.notifier.update_batch(batch, self.progress(batch))
        except Exception as exc:  # noqa: BLE001 - the next progress edit fixes it
            log.info("could not update batch %s's message: %s", batch.id, exc)

    def show_progress(self, batch: Batch, progress: Progress, now: float) -> None:
        """Edit the progress message, unless another process edited it since `batch` was
        read (compare-and-set on `progress_at`: of processes sharing the database, one edits)."""
        claimed = self.store.sql.run(
            "UPDATE batches SET progress_at = :now WHERE id = :id "
            "AND COALESCE(progress_at, -1) = :seen",
            {"now": now, "id": batch.id, "seen": _or_minus_one(batch.progress_at)},
        )
        if not claimed:
            return
        try:
            self.notifier.update_batch(batch, progress)
        except Exception as exc:  # noqa: BLE001 - the next pass tries again
            log.info("progress of batch %s not shown: %s", batch.id, exc)
        self.store.update(batch.id, progress_seen=progress.seen() + batch.state)

    def notify_pause(self, batch: Batch) -> None:
        """Tell of the pause once: the notice is claimed before it is posted, so of processes
        sharing the database one posts it (a post that fails gives the claim back)."""
        if not batch.message_ts:
            return
        claimed = self.store.sql.run(
            "UPDATE batches SET pause_notified = 1 WHERE id = :id AND state = 'paused' "
            "AND COALESCE(pause_notified, 0) = 0",
            {"id": batch.id},
        )
        if not claimed:
            return
        try:
            self.notifier.batch_paused(batch)
        except Exception as exc:  # noqa: BLE001 - tried again at the next pass
            log.info("pause of batch %s not announced: %s", batch.id, exc)
            self.store.update(batch.id, pause_notified=0)


def _or_minus_one(value: float | None) -> float:
    return -1.0 if value is None else value
