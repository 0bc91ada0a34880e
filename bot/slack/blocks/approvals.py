"""Approval requests for large batches: what admins see, with Approve and Deny."""

from __future__ import annotations

from slack_sdk.models.blocks import ActionsBlock, Block

from bot.governance.approvals import Approval
from bot.slack.blocks.common import button, context, render, section, when
from bot.slack.text import escape, mention, plural, truncate

APPROVE_ACTION = "approval_approve"
DENY_ACTION = "approval_deny"


def estimate_text(credits: float | None) -> str:
    if credits is None:
        return "credits: unknown yet (this grid has not been measured)"
    return f"about {credits:,.0f} credits (an estimate)"


def noun(approval: Approval) -> str:
    """What is waiting: a batch, or a watch (scheduled re-runs)."""
    return "watch" if approval.kind == "watch" else "batch"


def approval_request_message(approval: Approval) -> tuple[str, list[dict]]:
    grid = f"*{escape(truncate(approval.grid_name, 150))}*"
    where = f" in <#{approval.channel_id}>" if approval.channel_id else ""
    if approval.kind == "watch":
        credits = estimate_text(approval.estimate).replace(" credits", " credits a month", 1)
        text = (
            f"{mention(approval.requester)} asks to watch {grid}{where}: "
            f"{plural(approval.rows, 'row')} re-run on a schedule, {credits}."
        )
    else:
        text = (
            f"{mention(approval.requester)} asks to run a batch of {grid}{where}: "
            f"{plural(approval.rows, 'row')}, {estimate_text(approval.estimate)}."
        )
    blocks: list[Block] = [section(f"🙋 {text}")]
    if approval.state == "pending":
        blocks.append(
            ActionsBlock(
                block_id=f"approval:{approval.id}",
                elements=[
                    button("Approve", APPROVE_ACTION, approval.id, "primary"),
                    button("Deny", DENY_ACTION, approval.id, "danger"),
                ],
            )
        )
        blocks.append(context("One admin's answer settles it."))
    else:
        verb = "✅ Approved" if approval.state == "approved" else "🚫 Denied"
        blocks.append(
            context(f"{verb} by {mention(approval.decided_by or '?')} {when(approval.decided_at)}")
        )
    title = noun(approval).capitalize()
    return f"{title} approval: {plural(approval.rows, 'row')} of {approval.grid_name}", render(
        blocks
    )


def waiting_text(approval: Approval, asked: list[str], channel: str | None) -> str:
    if channel:
        who = f"the admins in <#{channel}>"
    else:
        who = ", ".join(mention(a) for a in asked)
    return (
        f"⏳ This {noun(approval)} has {plural(approval.rows, 'row')}, more than can run "
        f"without an admin's approval, so it is waiting for approval. I asked {who}; "
        "you'll hear here."
    )


def nobody_to_ask_text(howto: str, approval: Approval | None = None) -> str:
    what = noun(approval) if approval is not None else "batch"
    return (
        f"⏳ This {what} needs an admin's approval, but no bot admins are named yet, so "
        f"nobody can approve it. Ask whoever installed the bot to {howto}."
    )


def decided_text(approval: Approval) -> str:
    who = mention(approval.decided_by or "?")
    # An admin deciding their own request is not told "@ana, @ana approved…".
    to = "" if approval.decided_by == approval.requester else f"{mention(approval.requester)}, "
    if approval.state == "approved":
        start = "it fires at its first time" if approval.kind == "watch" else "it starts now"
        return f"✅ {to}{who} approved this {noun(approval)}: {start}."
    return (
        f"🚫 {to}{who} did not approve this {noun(approval)}, so it will not run and nothing "
        "was spent."
    )


def already_decided_text(approval: Approval) -> str:
    return (
        f"This request was already {approval.state} by {mention(approval.decided_by or '?')} "
        f"{when(approval.decided_at)}; nothing more to do."
    )
