"""The batch form's last step: the preview (rows, runs, reused answers, credits) and Start."""

from __future__ import annotations

import logging

from slack_bolt import Ack
from slack_sdk import WebClient

from bot.batches.request import BatchRequest
from bot.batches.rows import Plan, plan
from bot.governance.access import ADMINS_HOWTO
from bot.providers.bitscale.errors import BitScaleError
from bot.providers.bitscale.transport import Priority
from bot.slack import blocks as kit_common
from bot.slack.approvals import record_batch, start_batch
from bot.slack.batch_session import EXPIRED, open_step, session_file
from bot.slack.blocks import batches as kit
from bot.slack.forms import check_run, refused_modal, update_view
from bot.slack.services import Services
from bot.slack.text import plural

log = logging.getLogger(__name__)


def show_preview(client: WebClient, services: Services, view_id: str, session: dict) -> None:
    batches = services.batches
    assert batches is not None
    info = session_file(services, session)
    if info is None:
        update_view(client, view_id, kit_common.message_modal(EXPIRED))
        return
    counted = plan(info, session["mapping"])
    try:
        # Fresh, not the 10-second cache: this number decides whether to spend.
        workspace = services.bitscale.workspace(priority=Priority.INTERACTIVE)
        credits_left: int | None = workspace.credits.remaining
    except BitScaleError as error:
        log.info("credits unknown for the preview: %s", error.code)
        credits_left = None
    cost = batches.cost_per_run(session["grid_id"])
    counted.reused = batches.reusable(
        session["grid_id"],
        session["grid_name"],
        info,
        session["mapping"],
        session.get("output_columns"),
        session.get("user_id") or "",
        session.get("channel_id"),
    )
    token = services.store.save_session(
        {
            **session,
            "step": "preview",
            "plan": {
                "rows_total": counted.rows_total,
                "runs": counted.runs,
                "reused": counted.reused,
                "duplicates": counted.duplicates,
                "skipped": counted.skipped,
            },
            "estimate": None if cost is None else cost * (counted.runs - counted.reused),
            "estimate_fresh": None if cost is None else cost * counted.runs,
        }
    )
    refusal, approval = start_notes(services, session, counted.runs)
    update_view(
        client,
        view_id,
        kit.preview_modal(
            token,
            grid_name=session["grid_name"],
            file_name=session["file_name"],
            plan=counted,
            credits_left=credits_left,
            cost_per_run=cost,
            refusal=refusal,
            approval=approval,
        ),
    )


def start_notes(services: Services, session: dict, rows: int) -> tuple[str | None, str | None]:
    """What Start would meet, said before Start: the refusal a budget would give (the same
    check Start makes, not audited here), and whether the batch will wait for an admin."""
    policy = services.policy
    if policy is None or rows <= 0:
        return None, None
    decision = policy.check_run(
        session.get("user_id") or "",
        session["grid_id"],
        rows,
        entry="batch",
        grid_name=session.get("grid_name"),
        record=False,
    )
    refusal = None if decision.allowed else decision.sentence
    if refusal or not policy.needs_approval(rows):
        return refusal, None
    channel = policy.alert_channel()
    admins = [] if channel else policy.admins()
    if channel:
        asked = f"I ask the admins in <#{channel}>"
    elif admins:
        asked = "I ask " + ", ".join(policy.mention(a) for a in admins) + " by DM"
    else:
        asked = f"no bot admins are named yet, so nobody can approve it: {ADMINS_HOWTO}"
    limit = policy.approval_threshold()
    return None, (
        f"⏳ *Needs an admin's approval:* {plural(rows, 'row')} is more than the "
        f"{plural(limit, 'row')} a batch may run without one. After Start the "
        f"batch waits until an admin approves it; {asked}, and you hear in its thread."
    )


def handle_preview(
    ack: Ack, body: dict, services: Services, client: WebClient | None = None
) -> None:
    session = open_step(ack, services, body, "preview")
    if session is None:
        return
    user_id = (body.get("user") or {}).get("id") or session.get("user_id", "")
    runs = int((session.get("plan") or {}).get("runs") or 0)
    refused = check_run(
        services, user_id, session["grid_id"], session.get("grid_name"), entry="batch", rows=runs
    )
    if refused:
        ack(response_action="update", view=refused_modal(refused))
        return
    info = session_file(services, session, load=False)
    if info is None:
        ack(response_action="update", view=kit_common.message_modal(EXPIRED))
        return
    view_id = (body.get("view") or {}).get("id")
    chosen = set(session.get("chosen") or [])
    values = ((body.get("view") or {}).get("state") or {}).get("values") or {}
    ticked = ((values.get(kit.FRESH_BLOCK) or {}).get(kit.FRESH_ACTION) or {}).get(
        "selected_options"
    )
    fresh = bool(ticked)
    request = BatchRequest(
        info=info,
        file_name=session["file_name"],
        grid_id=session["grid_id"],
        grid_name=session["grid_name"],
        mapping=session["mapping"],
        outputs=[o for o in session["outputs"] if o["id"] in chosen],
        output_columns=session.get("output_columns"),
        user_id=(body.get("user") or {}).get("id") or session.get("user_id", ""),
        channel_id=session.get("channel_id"),
        plan=Plan(**session["plan"]),
        estimate=session.get("estimate_fresh" if fresh else "estimate"),
        fresh=fresh,
        team_id=(body.get("team") or {}).get("id"),
        dedupe_key=f"view:{view_id}" if view_id else None,
    )
    batch, refused = record_batch(services, request)  # the budget check and the record
    if refused:
        ack(response_action="update", view=refused_modal(refused))
        return
    ack()
    if batch is not None:
        services.later(lambda: start_batch(client, services, request, batch))
