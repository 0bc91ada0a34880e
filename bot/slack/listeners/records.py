"""`/bitscale audit [@person | grid]` (admins), its CSV export, and `/bitscale usage`
(admins see everyone; others see their own)."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackClientError

from bot.batches.csvwrite import neutralise
from bot.governance.usage import resets_in
from bot.slack.blocks import records as kit
from bot.slack.blocks.common import MAX_MESSAGE_BLOCKS, message_modal, notice_blocks
from bot.slack.charts import chart_blocks, without_images
from bot.slack.listeners.admin_only import refuse_non_admin
from bot.slack.listeners.commands import CommandCall, subcommand
from bot.slack.services import Services
from bot.slack.text import escape, mention, plural

log = logging.getLogger(__name__)

_MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")
_BARE_ID = re.compile(r"^@?([UW][A-Z0-9]{6,})$")
_HANDLE = re.compile(r"^@([\w.\-]{1,80})$")
UNKNOWN = "unknown"  # the subject names a person nobody answers to


def parse_subject(
    arg: str, user_named: Callable[[str], str | None] | None = None
) -> dict[str, str]:
    """`@person` → actor; anything else → a grid name or id. The shipped manifest has
    `should_escape: false` (so `/bitscale run` gets text as typed), which means Slack sends
    `@ana` as plain text, not `<@U…|ana>`: a handle is looked up in the directory."""
    arg = arg.strip()
    if not arg:
        return {}
    found = _MENTION.match(arg) or _BARE_ID.match(arg)
    if found:
        return {"actor": found.group(1)}
    handle = _HANDLE.match(arg)
    if handle:
        user = user_named(handle.group(1)) if user_named else None
        return {"actor": user} if user else {UNKNOWN: handle.group(1)}
    return {"grid": arg}


def _describe(subject: dict[str, str]) -> str:
    if "actor" in subject:
        return mention(subject["actor"])
    if "grid" in subject:
        return f"*{escape(subject['grid'][:100])}*"
    return ""


def _audit(call: CommandCall) -> dict[str, Any]:
    refused = refuse_non_admin(call.services, call.user_id, "read the audit log")
    if refused:
        return {"text": refused, "blocks": notice_blocks(refused)}
    policy = call.services.policy
    assert policy is not None
    subject = parse_subject(call.arg, getattr(policy.directory, "user_named", None))
    if UNKNOWN in subject:
        said = (
            f"I don't know anyone called @{escape(subject[UNKNOWN][:80])} here (or more than one "
            "person goes by it). Pick them from Slack's @-menu, or give their user id "
            "(U012ABCDEF)."
        )
        return {"text": said, "blocks": notice_blocks(said)}
    entries = policy.audit.entries(limit=kit.MAX_ENTRIES, **subject)
    outcomes = policy.audit.outcomes(entries)
    blocks = kit.audit_blocks(entries, outcomes, _describe(subject), json.dumps(subject))
    return {"text": "Audit log", "blocks": blocks}


def _usage(call: CommandCall) -> dict[str, Any]:
    policy = call.services.policy
    assert policy is not None
    everyone = policy.is_admin(call.user_id)
    report = policy.usage.month(None if everyone else call.user_id)
    now = policy.clock()
    if everyone:
        today = f"Today: {plural(policy.usage.rows_today(), 'row')}"
        if policy.workspace_budget() is not None:
            today += f" of the workspace's {policy.workspace_budget():,} a day"
    else:
        today = f"Today: {plural(policy.usage.rows_today(call.user_id), 'row')}"
        if policy.person_budget() is not None:
            today += f" of your {policy.person_budget():,} a day"
    today += f"; budgets reset at 00:00 UTC ({resets_in(now)})."
    blocks = kit.usage_blocks(report, everyone=everyone, today=today)
    insight = call.services.insight
    if everyone and insight is not None:  # the workspace's trend: for admins
        for chart in insight.charts(call.services.locale_of(call.user_id)):
            drawn = [b.to_dict() for b in chart_blocks(call.client, chart)]
            if len(blocks) + len(drawn) <= MAX_MESSAGE_BLOCKS:
                blocks += drawn
    return {"text": "BitScale usage this month", "blocks": blocks}


def _answer_usage(call: CommandCall) -> None:
    reply = _usage(call)
    answer = call.respond(**reply)
    if getattr(answer, "status_code", 200) != 200:  # an image Slack will not show yet
        call.respond(text=reply["text"], blocks=without_images(reply["blocks"]))


# Answered after the ack: knowing whether someone is an admin may ask Slack (users.info).
subcommand("audit", answer=lambda call: call.respond(**_audit(call)))
subcommand("usage", answer=_answer_usage)


def register(app: App, services: Services) -> None:
    @app.action(kit.EXPORT_ACTION)
    def ask_range(ack: Ack, body: dict, client: WebClient) -> None:
        ack()
        user_id = (body.get("user") or {}).get("id") or ""
        refused = refuse_non_admin(services, user_id, "export the audit log")
        trigger = body.get("trigger_id") or ""
        if refused:
            view = message_modal(f"🚫 {refused}", "Export audit log")
        else:
            value = ((body.get("actions") or [{}])[0] or {}).get("value") or "{}"
            today = datetime.now(timezone.utc).date()
            view = kit.export_modal(value, today.replace(day=1), today)
        services.later(lambda: client.views_open(trigger_id=trigger, view=view))

    @app.view(kit.EXPORT_VIEW)
    def export(ack: Ack, body: dict, client: WebClient) -> None:
        user_id = (body.get("user") or {}).get("id") or ""
        refused = refuse_non_admin(services, user_id, "export the audit log")
        if refused:
            ack(response_action="update", view=message_modal(f"🚫 {refused}", "Export audit log"))
            return
        view = body.get("view") or {}
        values = (view.get("state") or {}).get("values") or {}
        start, end = _date(values, kit.FROM_BLOCK), _date(values, kit.TO_BLOCK)
        if start is None or end is None or end < start:
            ack(
                response_action="errors",
                errors={kit.TO_BLOCK: "Pick an end on or after the start."},
            )
            return
        ack(
            response_action="update",
            view=message_modal("⏳ Preparing the CSV; it will arrive as a DM.", "Export audit log"),
        )
        subject = _subject(view.get("private_metadata"))
        services.later(lambda: send_csv(client, services, user_id, subject, start, end))


def _date(values: dict, block_id: str) -> date | None:
    raw = ((values.get(block_id) or {}).get(kit.DATE_ACTION) or {}).get("selected_date")
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


def _subject(raw: str | None) -> dict[str, str]:
    try:
        data = json.loads(raw or "{}")
    except ValueError:
        return {}
    return (
        {k: str(v) for k, v in data.items() if k in ("actor", "grid")}
        if isinstance(data, dict)
        else {}
    )


def send_csv(
    client: WebClient,
    services: Services,
    user_id: str,
    subject: dict[str, str],
    start: date,
    end: date,
) -> None:
    policy = services.policy
    assert policy is not None
    since = datetime(start.year, start.month, start.day, tzinfo=timezone.utc).timestamp()
    until = (
        datetime(end.year, end.month, end.day, tzinfo=timezone.utc) + timedelta(days=1)
    ).timestamp()
    entries = policy.audit.entries(since=since, until=until, limit=None, **subject)
    content = policy.audit.to_csv(entries, cell=neutralise)
    name = f"bitscale-audit-{start.isoformat()}-to-{end.isoformat()}.csv"
    try:
        dm = client.conversations_open(users=user_id)["channel"]["id"]
        client.files_upload_v2(
            channel=dm,
            content=content,
            filename=name,
            title=name,
            initial_comment=f"The audit log from {start} to {end} (UTC): {len(entries):,} entries.",
        )
    except SlackClientError as exc:
        log.warning("audit export not delivered: %s", exc)
        client.chat_postMessage(
            channel=user_id,
            text="I could not attach the audit CSV. Please try the export again in a minute.",
        )
