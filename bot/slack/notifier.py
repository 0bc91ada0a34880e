"""The notifier that the run core and the credit monitor call, spoken in Slack.

Fallbacks: when the bot cannot post in the channel a run came from (not a member,
archived, a DM it is not part of), it opens a DM with the requester and says why.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any
from urllib.error import URLError

from slack_sdk import WebClient
from slack_sdk.errors import SlackClientError

from bot.insight.credits import CreditAlert
from bot.providers.base import Providers
from bot.runs.types import Announcement, DeliveryError
from bot.slack import blocks as kit
from bot.slack.delivery import FALLBACK_ERRORS, SlackDeliveryError, slack_call
from bot.slack.workflow import step_error, step_outputs
from bot.store.run_record import Run

log = logging.getLogger(__name__)

RESULT_EVENT = "bitscale_run_result"


class SlackNotifier:
    def __init__(
        self,
        client: WebClient,
        alert_channel: str | None = None,
        providers: Providers | None = None,
    ) -> None:
        self.client = client
        self.providers = providers or Providers()  # each run's result is its provider's to render
        self.alert_channel = alert_channel
        # Called after a result was delivered (a LinkedIn card redraws itself): best effort.
        self.after_delivery: list[Callable[[Run], None]] = []

    # --- runs.Notifier ------------------------------------------------------------------

    def announce(self, run: Run) -> Announcement:
        text, blocks = kit.announcement(run)
        return self._post_with_fallback(run, text, blocks)

    def deliver(self, run: Run) -> None:
        if not run.post_channel or not run.message_ts:
            raise DeliveryError("the run has no announcement to reply to yet")
        try:
            message = kit.result_message(run, self.providers.view(run))
        except Exception:  # noqa: BLE001 - a result that cannot be drawn is still delivered
            log.exception("could not draw the result of run %s; posting a plain reply", run.id)
            message = kit.plain_result_message(run)
        # The state tells a late real result apart from the earlier "interrupted" notice.
        metadata = {
            "event_type": RESULT_EVENT,
            "event_payload": {"run_id": run.id, "state": run.state},
        }
        try:
            slack_call(
                lambda: self.client.chat_postMessage(
                    channel=run.post_channel,
                    thread_ts=run.reply_ts,
                    text=message.text,
                    blocks=message.blocks,
                    metadata=metadata,
                    unfurl_links=False,
                )
            )
        except SlackDeliveryError as exc:
            if exc.slack_error == "thread_not_found":
                # The announcement was deleted: the result goes in the channel on its own.
                slack_call(
                    lambda: self.client.chat_postMessage(
                        channel=run.post_channel,
                        text=message.text,
                        blocks=message.blocks,
                        metadata=metadata,
                        unfurl_links=False,
                    )
                )
                run.message_ts, run.post_thread_ts = None, None
                self._best_effort(run, message.attachment, message.attachment_title)
                return
            if exc.slack_error not in FALLBACK_ERRORS:
                raise
            # The channel went away since the announcement: deliver by DM instead.
            dm = self._open_dm(run.user_id)
            slack_call(
                lambda: self.client.chat_postMessage(
                    channel=dm, text=message.text, blocks=message.blocks, metadata=metadata
                )
            )
            run.post_channel, run.message_ts, run.post_thread_ts = dm, None, None
        self._best_effort(run, message.attachment, message.attachment_title)

    def progress(self, run: Run, elapsed: float, usual: float | None) -> None:
        """progress.ProgressNotifier: edit the announcement while the run runs (or put its
        final state back). Best effort: a failed edit is logged by the caller."""
        if not run.post_channel or not run.message_ts:
            return
        note = None if run.finished else kit.still_running(elapsed, usual)
        text, blocks = kit.announcement(run, fallback_reason=run.fallback_reason, progress=note)
        slack_call(
            lambda: self.client.chat_update(
                channel=run.post_channel, ts=run.message_ts, text=text, blocks=blocks
            )
        )

    def waiting(self, run: Run) -> None:
        """The run is held back (a provider's rate limit): its announcement says until when."""
        if not run.post_channel or not run.message_ts:
            return
        text, blocks = kit.announcement(run, fallback_reason=run.fallback_reason)
        slack_call(
            lambda: self.client.chat_update(
                channel=run.post_channel, ts=run.message_ts, text=text, blocks=blocks
            )
        )

    def already_delivered(self, run: Run) -> bool:
        if not run.post_channel or not run.message_ts:
            return False
        try:
            replies = slack_call(
                lambda: self.client.conversations_replies(
                    channel=run.post_channel, ts=run.reply_ts, include_all_metadata=True, limit=200
                )
            )
        except SlackDeliveryError as exc:
            if exc.slack_error in ("thread_not_found", "message_not_found"):
                return False  # no thread: nothing was delivered there
            raise
        for message in replies.get("messages", []):
            payload = (message.get("metadata") or {}).get("event_payload") or {}
            if payload.get("run_id") == run.id and payload.get("state", run.state) == run.state:
                return True
        return False

    # --- steps.StepNotifier ---------------------------------------------------------------

    def complete_step(self, run: Run) -> None:
        """Finish the Workflow Builder step waiting on this run (the bot token may do so)."""
        if run.state in ("completed", "reused"):  # a reused answer says so in `status`
            slack_call(
                lambda: self.client.functions_completeSuccess(
                    function_execution_id=run.step_execution_id, outputs=step_outputs(run)
                )
            )
        else:
            slack_call(
                lambda: self.client.functions_completeError(
                    function_execution_id=run.step_execution_id, error=step_error(run)
                )
            )

    # --- credits.AlertSink --------------------------------------------------------------

    def credit_alert(self, alert: CreditAlert) -> None:
        if not self.alert_channel:
            return
        text, blocks = kit.credit_alert_message(alert)
        slack_call(
            lambda: self.client.chat_postMessage(
                channel=self.alert_channel, text=text, blocks=blocks
            )
        )

    # --- helpers ------------------------------------------------------------------------

    def _post_with_fallback(self, run: Run, text: str, blocks: list[dict]) -> Announcement:
        reason = None
        if run.channel_id and run.thread_ts:
            # Asked from a message (shortcut, mention): announce in that message's thread.
            try:
                resp = slack_call(
                    lambda: self.client.chat_postMessage(
                        channel=run.channel_id,
                        thread_ts=run.thread_ts,
                        text=text,
                        blocks=blocks,
                        unfurl_links=False,
                    )
                )
                return Announcement(
                    resp["channel"], resp["ts"], self._permalink(resp), thread_ts=run.thread_ts
                )
            except SlackDeliveryError as exc:
                if exc.slack_error != "thread_not_found":  # deleted meanwhile: post plainly
                    reason = FALLBACK_ERRORS.get(exc.slack_error or "")
                    if reason is None:
                        raise
        if run.channel_id and reason is None:
            try:
                resp = slack_call(
                    lambda: self.client.chat_postMessage(
                        channel=run.channel_id, text=text, blocks=blocks, unfurl_links=False
                    )
                )
                return Announcement(resp["channel"], resp["ts"], self._permalink(resp))
            except SlackDeliveryError as exc:
                reason = FALLBACK_ERRORS.get(exc.slack_error or "")
                if reason is None:
                    raise
        elif not run.channel_id:
            reason = "no channel was chosen"
        dm = self._open_dm(run.user_id)
        text, blocks = kit.announcement(run, fallback_reason=reason if run.channel_id else None)
        resp = slack_call(
            lambda: self.client.chat_postMessage(
                channel=dm, text=text, blocks=blocks, unfurl_links=False
            )
        )
        return Announcement(resp["channel"], resp["ts"], self._permalink(resp), reason)

    def _open_dm(self, user_id: str) -> str:
        resp = slack_call(lambda: self.client.conversations_open(users=user_id))
        return resp["channel"]["id"]

    def _permalink(self, resp: Any) -> str | None:
        try:
            return self.client.chat_getPermalink(channel=resp["channel"], message_ts=resp["ts"])[
                "permalink"
            ]
        except (SlackClientError, URLError, OSError, KeyError) as exc:
            log.info("no permalink for %s: %s", resp.get("ts"), type(exc).__name__)
            return None

    def _best_effort(self, run: Run, attachment: str | None, title: str) -> None:
        """After the result is delivered: attach the full file, mark the parent ✅/❌."""
        if attachment:
            try:
                self.client.files_upload_v2(
                    channel=run.post_channel,
                    thread_ts=run.reply_ts,
                    content=attachment,
                    filename=f"{_slug(run.grid_name)}-{run.id}.txt",
                    title=f"{run.grid_name}: {title}",
                )
            except (SlackClientError, URLError, OSError) as exc:
                log.warning("could not attach the full result of run %s: %s", run.id, exc)
        if run.message_ts:
            text, blocks = kit.announcement(run, fallback_reason=run.fallback_reason)
            try:
                self.client.chat_update(
                    channel=run.post_channel, ts=run.message_ts, text=text, blocks=blocks
                )
            except (SlackClientError, URLError, OSError) as exc:
                log.warning("could not update the announcement of run %s: %s", run.id, exc)
        for hook in self.after_delivery:
            try:
                hook(run)
            except Exception:  # noqa: BLE001 - the result is delivered; the log keeps the rest
                log.exception("after delivering run %s", run.id)



def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:40] or "result"
