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
from bot.governance.access import ADMINS_HOWTO
from bot.governance.approvals import Approval
from bot.slack.blocks import approvals as kit
from bot.slack.services import Services

log = logging.getLogger(__name__)


def record_batch(services: Services, request: BatchRequest) -> tuple[Batch | None, str | None]:
    """Check the budgets and record the batch in one step, under the lock the run core's
    budget check and insert hold, before Start is acknowledged: from then on the budgets
    count its rows, so a second Start (or a single run) cannot take them too. Returns
    (batch, None) to start, (None, refusal) for the requester, (None, None) for a Start
    already recorded (the same form twice)."""
    batches, policy = services.batches, services.policy
    assert batches is not None and policy is not None
    hold = policy.needs_approval(request.plan.runs)
    with policy.admission_lock:
        if request.dedupe_key and batches.store.by_dedupe_key(request.dedupe_key):
            return None, None
        decision = policy.check_run(
            request.user_id,
            request.grid_id,
            request.plan.runs,
            entry="batch",
            grid_name=request.grid_name,
        )
        if not decision.allowed:
            return None, decision.sentence
        batch, created = batches.record(request, hold_for_approval=hold)
    return (batch if created else None), None


def start_batch(
    client: WebClient | None, services: Services, request: BatchRequest, batch: Batch
) -> None:
    """Start a batch `record_batch` made; over the threshold it waits for an admin."""
    batches, policy = services.batches, services.policy
    assert batches is not None and policy is not None
    hold = batch.state == "awaiting_approval"
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
    if not hold:
        batches.launch(batch)
    elif client is not None:
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
    if approve:
        no_longer_fits = _over_budget_now(services, approval_id)
        if no_longer_fits:
            return no_longer_fits
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


def _over_budget_now(services: Services, approval_id: str) -> str | None:
    """A held batch is checked against the budgets again when it is approved (they may
    have shrunk, or the day's rows gone, while it waited): if it no longer fits, the admin
    is told why and it stays waiting, to approve once it fits or to deny."""
    approvals, policy, batches = services.approvals, services.policy, services.batches
    assert approvals is not None and policy is not None
    approval = approvals.get(approval_id)
    if approval is None or approval.kind != "batch" or approval.state != "pending":
        return None
    batch = batches.get(approval.ref) if batches is not None else None
    if batch is None or batch.state != "awaiting_approval":
        return None
    decision = policy.check_run(
        batch.user_id,
        batch.grid_id,
        batch.runs_total or 0,
        entry="approval",
        grid_name=batch.grid_name,
        record=False,
        except_batch=batch.id,
        to_admin=True,
    )
    if decision.allowed:
        return None
    return (
        f"This batch no longer fits the budget, so it was not approved: {decision.sentence} "
        "It keeps waiting: approve it once it fits, or deny it."
    )


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
        log.warning(
            "could not tell the requester about batch %s: %s", batch_id, exc.response.get("error")
        )
