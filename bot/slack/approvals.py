"""Large batches wait for an admin: start a batch (held when over the threshold), ask the
admins (each by DM, or the alerts channel when one is set) and settle their answer.

Every decision is checked where it happens: a non-admin's Approve payload is refused here,
whatever the message they took it from.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.batches.request import BatchRequest
from bot.batches.store import Batch
from bot.governance.approvals import Approval
from bot.governance.policy import ADMINS_HOWTO
from bot.slack.blocks import approvals as kit
from bot.slack.services import Services

log = logging.getLogger(__name__)


def start_batch(client: WebClient | None, services: Services, request: BatchRequest) -> None:
    """Create the batch (once per form); over the threshold it waits for an admin."""
    batches, policy = services.batches, services.policy
    assert batches is not None and policy is not None
    hold = policy.needs_approval(request.plan.runs)
    batch, created = batches.create(request, hold_for_approval=hold)
    if not created:
        return
    policy.audit.record(
        request.user_id,
        "batch",
        grid_id=request.grid_id,
        grid_name=request.grid_name,
        channel_id=request.channel_id,
        rows=request.plan.runs,
        entry="batch",
        outcome="awaiting_approval" if hold else "started",
        batch_id=batch.id,
        estimate=request.estimate,
    )
    if hold and client is not None:
        batches.announce(batch)
        ask_for_approval(client, services, batch)


def ask_for_approval(client: WebClient, services: Services, batch: Batch) -> Approval:
    approvals, policy = services.approvals, services.policy
    assert approvals is not None and policy is not None
    approval, _ = approvals.request(
        "batch",
        batch.id,
        requester=batch.user_id,
        grid_id=batch.grid_id,
        grid_name=batch.grid_name,
        rows=batch.runs_total,
        estimate=batch.estimate,
        channel_id=batch.channel_id,
    )
    text, blocks = kit.approval_request_message(approval)
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
            log.warning("approval request not posted to %s: %s", target, exc.response.get("error"))
    approvals.add_messages(approval.id, posted)
    if posted:
        note = kit.waiting_text(approval, admins, channel)
    else:
        note = kit.nobody_to_ask_text(ADMINS_HOWTO)
    _reply_to_batch(client, services, batch.id, note)
    return approval


def decide(
    client: WebClient, services: Services, user_id: str, approval_id: str, approve: bool
) -> str | None:
    """Apply an admin's Approve or Deny. Returns a private answer for the clicker, or None
    when the decision was applied (everyone concerned is told in their messages)."""
    approvals, policy = services.approvals, services.policy
    assert approvals is not None and policy is not None
    if not policy.is_admin(user_id):
        policy.audit.record(
            user_id,
            "refused",
            entry="approval",
            outcome="not_admin",
            why="approve" if approve else "deny",
            approval=approval_id,
        )
        return f"Only bot admins can approve or deny batches. {policy.who_to_ask()}"
    approval, applied = approvals.decide(approval_id, user_id, approve=approve)
    if approval is None:
        return "I can't find that request any more."
    if not applied:
        return kit.already_decided_text(approval)
    text, blocks = kit.approval_request_message(approval)
    for channel, ts in approval.messages:
        try:
            client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks)
        except SlackApiError as exc:
            log.info("approval message not updated: %s", exc.response.get("error"))
    follow_up = AFTER_DECISION.get(approval.kind)
    if follow_up is not None:
        follow_up(client, services, approval)
    return None


def _batch_decided(client: WebClient, services: Services, approval: Approval) -> None:
    if services.batches is not None:
        services.batches.show(approval.ref)
        _reply_to_batch(client, services, approval.ref, kit.decided_text(approval))


# What follows a decision, by kind: a feature with approvals of its own adds its entry.
AFTER_DECISION: dict[str, Callable[[WebClient, Services, Approval], None]] = {
    "batch": _batch_decided,
}


def _reply_to_batch(client: WebClient, services: Services, batch_id: str, text: str) -> None:
    batch = services.batches.get(batch_id) if services.batches else None
    if batch is None or not batch.message_ts or not batch.post_channel:
        return
    try:
        client.chat_postMessage(channel=batch.post_channel, thread_ts=batch.message_ts, text=text)
    except SlackApiError as exc:
        log.warning("could not tell the requester about batch %s: %s", batch_id,
                    exc.response.get("error"))
