"""A firing's batch makes no posts of its own: no progress message, no summary, no file.
The watch's digest is what people read. This notifier stands in front of the batch
notifier and lets only other batches through."""

from __future__ import annotations

from bot.batches.progress import BatchNotifier, Progress, Report
from bot.batches.store import Batch
from bot.watches.firing_batch import FIRING_PREFIX


def is_firing(batch: Batch) -> bool:
    return (batch.dedupe_key or "").startswith(FIRING_PREFIX)


class QuietForFirings:
    def __init__(self, inner: BatchNotifier) -> None:
        self.inner = inner

    def announce_batch(self, batch: Batch, progress: Progress) -> tuple[str, str, str | None]:
        if is_firing(batch):  # a marker, not a Slack message: the batch loop needs one
            return batch.channel_id or "", FIRING_PREFIX + batch.id, None
        return self.inner.announce_batch(batch, progress)

    def update_batch(self, batch: Batch, progress: Progress) -> None:
        if not is_firing(batch):
            self.inner.update_batch(batch, progress)

    def batch_paused(self, batch: Batch) -> None:
        if not is_firing(batch):  # the watch pauses and tells its owner (firings.py)
            self.inner.batch_paused(batch)

    def batch_reply_exists(self, batch: Batch) -> bool:
        return False if is_firing(batch) else self.inner.batch_reply_exists(batch)

    def batch_finished(self, batch: Batch, report: Report) -> None:
        if not is_firing(batch):
            self.inner.batch_finished(batch, report)

    def attach_batch_result(self, batch: Batch, report: Report) -> None:
        if not is_firing(batch):
            self.inner.attach_batch_result(batch, report)
