"""The watch side of the notifier: the watch's own message (its thread), digests in it (found
again by metadata after a crash) and their CSV, the pause notice, and the approval
request of a watch too large to start without an admin."""

from __future__ import annotations

import logging
from datetime import datetime, timezone

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.governance.access import ADMINS_HOWTO
from bot.governance.approvals import Approval
from bot.runs.types import DeliveryError
from bot.slack.blocks import approvals as approval_kit
from bot.slack.blocks import watch_messages as kit
from bot.slack.delivery import FALLBACK_ERRORS, SlackDeliveryError, slack_call
from bot.slack.services import Services
from bot.watches.digest import Digest, late_words
from bot.watches.store import Firing, Watch

log = logging.getLogger(__name__)


class SlackWatchNotifier:
    def __init__(self, client: WebClient) -> None:
        self.client = client
        self._call = slack_call

    def open_thread(self, watch: Watch) -> tuple[str, str]:
        reason = None
        if watch.channel_id:
            text, blocks = kit.thread_message(watch)
            try:
                resp = self._call(lambda: self.client.chat_postMessage(
                    channel=watch.channel_id, text=text, blocks=blocks, unfurl_links=False))
                return resp["channel"], resp["ts"]
            except SlackDeliveryError as exc:
                reason = FALLBACK_ERRORS.get(exc.slack_error or "")
                if reason is None:
                    raise
        dm = self._call(lambda: self.client.conversations_open(users=watch.owner))
        text, blocks = kit.thread_message(watch, fallback_reason=reason)
        resp = self._call(lambda: self.client.chat_postMessage(
            channel=dm["channel"]["id"], text=text, blocks=blocks, unfurl_links=False))
        return resp["channel"], resp["ts"]

    def digest_posted(self, watch: Watch, firing: Firing) -> bool:
        replies = self._call(lambda: self.client.conversations_replies(
            channel=watch.thread_channel, ts=watch.thread_ts, include_all_metadata=True,
            limit=200))
        return any(
            ((m.get("metadata") or {}).get("event_payload") or {}).get("firing_id") == firing.id
            for m in replies.get("messages", [])
        )

    def post_digest(self, watch: Watch, firing: Firing, digest: Digest) -> None:
        late = late_words(firing, digest, watch.schedule.tz)
        text, blocks = kit.digest_message(watch, digest, late=late, scheduled=firing.scheduled_at)
        self._call(lambda: self.client.chat_postMessage(
            channel=watch.thread_channel, thread_ts=watch.thread_ts, text=text, blocks=blocks,
            metadata={"event_type": kit.DIGEST_EVENT, "event_payload": {"firing_id": firing.id}},
            unfurl_links=False))

    def attach_table(self, watch: Watch, firing: Firing, table: str) -> None:
        """The digest's CSV in the thread. An upload Slack may take later raises (the
        firing attaches it on a later pass); one refused for good is logged."""
        stamp = datetime.fromtimestamp(firing.scheduled_at, timezone.utc).strftime("%Y-%m-%d")
        try:
            self._call(lambda: self.client.files_upload_v2(
                channel=watch.thread_channel, thread_ts=watch.thread_ts, content=table,
                filename=f"watch-{stamp}.csv", title=f"{watch.grid_name}: changes and table"))
        except DeliveryError as exc:
            if exc.retryable:
                raise
            log.warning("could not attach the table of firing %s: %s", firing.id, exc)

    def paused(self, watch: Watch) -> None:
        if not watch.thread_ts:
            channel, ts = self.open_thread(watch)
            watch.thread_channel, watch.thread_ts = channel, ts
        text, blocks = kit.paused_message(watch)
        self._call(lambda: self.client.chat_postMessage(
            channel=watch.thread_channel, thread_ts=watch.thread_ts, text=text, blocks=blocks))


def open_thread_now(services: Services, watch: Watch) -> None:
    """Post the watch's message when it is saved, so people see it before the first firing
    (best effort: the first firing opens it otherwise)."""
    watches = services.watches
    if watches is None:
        return
    try:
        channel, ts = watches.notifier.open_thread(watch)
    except Exception as exc:  # noqa: BLE001 - the first firing tries again
        log.warning("the message of watch %s was not posted: %s", watch.id, exc)
        return
    watches.store.move(watch.id, ("awaiting_approval", "active", "paused"),
                       thread_channel=channel, thread_ts=ts)
    watch.thread_channel, watch.thread_ts = channel, ts


def ask_for_watch_approval(client: WebClient, services: Services, watch: Watch) -> None:
    approvals, policy = services.approvals, services.policy
    assert approvals is not None and policy is not None
    approval, _ = approvals.request(
        "watch", watch.id, requester=watch.owner, grid_id=watch.grid_id,
        grid_name=watch.grid_name, rows=watch.rows, estimate=watch.monthly_credits,
        channel_id=watch.channel_id,
    )
    text, blocks = approval_kit.approval_request_message(approval)
    channel = policy.alert_channel()
    admins = [] if channel else policy.admins()
    posted: list[tuple[str, str]] = []
    for target in [channel] if channel else admins:
        try:
            if not target.startswith(("C", "G", "D")):
                target = client.conversations_open(users=target)["channel"]["id"]
            resp = client.chat_postMessage(channel=target, text=text, blocks=blocks)
            posted.append((resp["channel"], resp["ts"]))
        except SlackApiError as exc:
            log.warning("watch approval not posted to %s: %s", target, exc.response.get("error"))
    approvals.add_messages(approval.id, posted)
    note = (approval_kit.waiting_text(approval, admins, channel) if posted
            else approval_kit.nobody_to_ask_text(ADMINS_HOWTO, approval))
    tell_in_thread(client, services, watch.id, note)


def tell_in_thread(client: WebClient, services: Services, watch_id: str, text: str) -> None:
    watch = services.watches.get(watch_id) if services.watches else None
    if watch is None or not watch.thread_ts:
        return
    try:
        client.chat_postMessage(channel=watch.thread_channel, thread_ts=watch.thread_ts,
                                text=text)
    except SlackApiError as exc:
        log.warning("could not tell the owner of watch %s: %s", watch_id,
                    exc.response.get("error"))


def watch_decided(client: WebClient, services: Services, approval: Approval) -> None:
    """After an admin's decision on a watch: its owner hears in the watch's thread."""
    tell_in_thread(client, services, approval.ref, approval_kit.decided_text(approval))
