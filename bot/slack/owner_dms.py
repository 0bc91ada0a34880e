"""The owner's DMs about their batch: when it finishes, is paused or waits for an admin's
approval, the person who started it gets one DM as well as the thread update, so they need
not keep watching the channel. Wraps the batch notifier; each DM is claimed once
(insight/owner_notices.py) and a failed DM never fails the thread update. `/bitscale dms
off` turns them off for oneself."""

from __future__ import annotations

import logging

from slack_sdk import WebClient

from bot.batches.progress import BatchNotifier, Progress, Report
from bot.batches.store import Batch
from bot.insight.owner_notices import OwnerNotices
from bot.insight.service import Insight
from bot.slack.blocks.common import context, section
from bot.slack.delivery import slack_call
from bot.slack.text import channel_link, escape, plural

log = logging.getLogger(__name__)

TURN_OFF = "`/bitscale dms off` stops these DMs."


class OwnerDMs:
    def __init__(self, inner: BatchNotifier, client: WebClient, insight: Insight) -> None:
        self.inner = inner
        self.client = client
        self.notices = OwnerNotices(insight.store, insight.prefs, insight.clock)
        self._call = slack_call

    def announce_batch(self, batch: Batch, progress: Progress) -> tuple[str, str, str | None]:
        posted = self.inner.announce_batch(batch, progress)
        if batch.state == "awaiting_approval":
            self._tell(batch, "approval", "is waiting for an admin's approval", posted[0])
        return posted

    def update_batch(self, batch: Batch, progress: Progress) -> None:
        self.inner.update_batch(batch, progress)

    def batch_paused(self, batch: Batch) -> None:
        self.inner.batch_paused(batch)
        why = f": {escape(batch.pause_reason)}" if batch.pause_reason else ""
        self._tell(batch, f"paused {batch.pause_code or ''}", f"is paused{why}")

    def batch_reply_exists(self, batch: Batch) -> bool:
        return self.inner.batch_reply_exists(batch)

    def batch_finished(self, batch: Batch, report: Report) -> None:
        self.inner.batch_finished(batch, report)
        done, failed = report.progress.done, report.progress.failed
        said = f"finished: {done} done, {failed} failed"
        if batch.state == "cancelled":
            said = f"was cancelled: {done} done, {failed} failed before it stopped"
        self._tell(batch, "finished", said)

    def attach_batch_result(self, batch: Batch, report: Report) -> None:
        self.inner.attach_batch_result(batch, report)

    def _tell(self, batch: Batch, what: str, said: str, channel: str | None = None) -> None:
        user, key = batch.user_id, f"batch {batch.id} {what}".strip()
        if not self.notices.claim(user, key):
            return
        where = channel or batch.post_channel or ""
        place = f" in {channel_link(where)}" if where.startswith(("C", "G")) else ""
        rows = plural(batch.rows_total or batch.runs_total, "row")
        text = (
            f"Your batch of {rows} with *{escape(batch.grid_name)}* "
            f"({escape(batch.file_name)}) {said.rstrip('.')}. Details are in its thread{place}."
        )
        try:
            opened = self._call(lambda: self.client.conversations_open(users=user))
            dm = opened["channel"]["id"]
            self._call(
                lambda: self.client.chat_postMessage(
                    channel=dm,
                    text=text,
                    blocks=[section(text), context(TURN_OFF)],
                    unfurl_links=False,
                )
            )
        except Exception as exc:  # noqa: BLE001 - the thread update has it all the same
            log.warning("could not DM the owner of batch %s: %s", batch.id, exc)
            self.notices.give_back(user, key)
            return
        self.notices.sent(user, key)
