"""The batch side of the notifier: the progress message, the pause notice, the summary
reply (found again by its metadata after a crash) and the enriched file (an upload Slack
may take later raises, and the finisher attaches it on a later pass)."""

from __future__ import annotations

import logging
import re
from urllib.error import URLError

from slack_sdk import WebClient
from slack_sdk.errors import SlackClientError

from bot.batches.progress import Progress, Report
from bot.batches.store import Batch
from bot.runs.types import DeliveryError
from bot.slack.blocks import batches as kit
from bot.slack.delivery import FALLBACK_ERRORS, SlackDeliveryError, slack_call

log = logging.getLogger(__name__)

BATCH_RESULT_EVENT = "bitscale_batch_result"


class SlackBatchNotifier:
    def __init__(self, client: WebClient) -> None:
        self.client = client
        self._call = slack_call

    def announce_batch(self, batch: Batch, progress: Progress) -> tuple[str, str, str | None]:
        text, blocks = kit.progress_message(batch, progress)
        reason = None
        if batch.channel_id:
            try:
                resp = self._call(
                    lambda: self.client.chat_postMessage(
                        channel=batch.channel_id, text=text, blocks=blocks, unfurl_links=False
                    )
                )
                return resp["channel"], resp["ts"], None
            except SlackDeliveryError as exc:
                reason = FALLBACK_ERRORS.get(exc.slack_error or "")
                if reason is None:
                    raise
        else:
            reason = "no channel was given"
        opened = self._call(lambda: self.client.conversations_open(users=batch.user_id))
        dm = opened["channel"]["id"]
        text, blocks = kit.progress_message(batch, progress, fallback_reason=reason)
        resp = self._call(
            lambda: self.client.chat_postMessage(channel=dm, text=text, blocks=blocks)
        )
        return resp["channel"], resp["ts"], reason

    def update_batch(self, batch: Batch, progress: Progress) -> None:
        text, blocks = kit.progress_message(batch, progress, batch.fallback_reason)
        self._call(
            lambda: self.client.chat_update(
                channel=batch.post_channel, ts=batch.message_ts, text=text, blocks=blocks
            )
        )

    def batch_paused(self, batch: Batch) -> None:
        text, blocks = kit.pause_message(batch)
        self._call(
            lambda: self.client.chat_postMessage(
                channel=batch.post_channel, thread_ts=batch.message_ts, text=text, blocks=blocks
            )
        )

    def batch_reply_exists(self, batch: Batch) -> bool:
        replies = self._call(
            lambda: self.client.conversations_replies(
                channel=batch.post_channel, ts=batch.message_ts, include_all_metadata=True,
                limit=200,
            )
        )
        for message in replies.get("messages", []):
            payload = (message.get("metadata") or {}).get("event_payload") or {}
            if payload.get("batch_id") == batch.id:
                return True
        return False

    def batch_finished(self, batch: Batch, report: Report) -> None:
        text, blocks = kit.summary_message(batch, report)
        self._call(
            lambda: self.client.chat_postMessage(
                channel=batch.post_channel,
                thread_ts=batch.message_ts,
                text=text,
                blocks=blocks,
                metadata={
                    "event_type": BATCH_RESULT_EVENT,
                    "event_payload": {"batch_id": batch.id},
                },
                unfurl_links=False,
            )
        )

    def attach_batch_result(self, batch: Batch, report: Report) -> None:
        if report.result is not None and not batch.file_posted_at:
            try:
                self._call(lambda: self.client.files_upload_v2(
                    channel=batch.post_channel,
                    thread_ts=batch.message_ts,
                    file=report.result,
                    filename=f"{_stem(batch.file_name)}-enriched.csv",
                    title=f"{batch.grid_name}: enriched {batch.file_name}",
                ))
            except DeliveryError as exc:
                if exc.retryable:  # Slack busy or out of reach: a later pass attaches it
                    raise
                log.warning("could not attach the file of batch %s: %s", batch.id, exc)
        text, blocks = kit.progress_message(batch, report.progress, batch.fallback_reason)
        try:
            self.client.chat_update(
                channel=batch.post_channel, ts=batch.message_ts, text=text, blocks=blocks
            )
        except (SlackClientError, URLError, OSError) as exc:
            log.warning("could not update the message of batch %s: %s", batch.id, exc)


def _stem(name: str) -> str:
    stem = re.sub(r"\.(csv|tsv|txt)$", "", name, flags=re.IGNORECASE)
    return re.sub(r"[^A-Za-z0-9._-]+", "-", stem).strip("-")[:60] or "batch"
