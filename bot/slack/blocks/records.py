"""The record, as admins read it: `/bitscale audit` entries with Export, and
`/bitscale usage` totals by person and by grid (credits marked as estimates)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date

from slack_sdk.models.blocks import ActionsBlock, Block, DatePickerElement, DividerBlock, InputBlock

from bot.governance.audit import AuditEntry
from bot.governance.usage import Totals, UsageReport
from bot.slack.blocks.common import button, context, modal, render, section, when
from bot.slack.text import escape, mention, plain, plural, truncate

EXPORT_ACTION = "audit_export"
EXPORT_VIEW = "audit_export_view"
FROM_BLOCK = "export_from"
TO_BLOCK = "export_to"
DATE_ACTION = "date"
MAX_ENTRIES = 20

_ACTIONS = {
    "run": "ran",
    "batch": "started a batch of",
    "refused": "was refused",
    "approval_requested": "asked approval for",
    "approved": "approved",
    "denied": "denied",
    "setting_changed": "changed a setting",
    "key_rotated": "rotated the API key",
    "key_rotation_failed": "tried to rotate the API key (failed)",
}


def entry_line(e: AuditEntry, outcome: str | None) -> str:
    parts = [when(e.at), mention(e.actor), _ACTIONS.get(e.action, escape(e.action))]
    if e.grid_name or e.grid_id:
        parts.append(f"*{escape(truncate(e.grid_name or e.grid_id or '', 80))}*")
    if e.rows is not None and e.action != "setting_changed":
        parts.append(f"{e.rows:,} row{'s' if e.rows != 1 else ''}")
    if e.channel_id:
        parts.append(f"in <#{e.channel_id}>")
    if outcome:
        parts.append(f"→ {escape(outcome)}")
    if e.action == "setting_changed":
        parts.append(
            f"`{escape(str(e.details.get('setting')))}`: "
            f"{escape(truncate(json.dumps(e.details.get('old')), 120))} → "
            f"{escape(truncate(json.dumps(e.details.get('new')), 120))}"
        )
    elif e.details.get("why") and e.action == "refused":
        parts.append(f"({_sentence(str(e.details['why']))})")
    return " · ".join(parts)


def audit_blocks(
    entries: Sequence[AuditEntry], outcomes: dict[int, str], subject: str, export_value: str
) -> list[dict]:
    # The subject is bold already (a grid) or a mention: never inside another *…*.
    heading = f"*Audit log*{f' for {subject}' if subject else ''} — latest first"
    blocks: list[Block] = [section(heading)]
    if not entries:
        blocks.append(section("Nothing recorded yet."))
    else:
        lines = ["• " + entry_line(e, outcomes.get(e.id)) for e in entries[:MAX_ENTRIES]]
        # A section holds 3,000 characters: a few entries each.
        chunk: list[str] = []
        for line in lines:
            if sum(len(c) + 1 for c in chunk) + len(line) > 2900:
                blocks.append(section("\n".join(chunk)))
                chunk = []
            chunk.append(line)
        if chunk:
            blocks.append(section("\n".join(chunk)))
    blocks.append(
        ActionsBlock(elements=[button("Export CSV…", EXPORT_ACTION, export_value[:2000])])
    )
    blocks.append(context("The log is append-only. Times are shown in your time zone."))
    return render(blocks)


def export_modal(filter_json: str, start: date, end: date) -> dict:
    return modal(
        "Export audit log",
        [
            section("A CSV of the entries in this date range (UTC) comes to you as a DM."),
            InputBlock(
                block_id=FROM_BLOCK,
                label=plain("From", 2000),
                element=DatePickerElement(action_id=DATE_ACTION, initial_date=start.isoformat()),
            ),
            InputBlock(
                block_id=TO_BLOCK,
                label=plain("To (included)", 2000),
                element=DatePickerElement(action_id=DATE_ACTION, initial_date=end.isoformat()),
            ),
        ],
        submit="Export",
        callback_id=EXPORT_VIEW,
        private_metadata=filter_json,
    )


def _totals_line(name: str, t: Totals, measured: float | None = None) -> str:
    """One line of totals. `measured`: for a total whose grids are not all measured yet,
    the credits of those that are (so the total agrees with the grid lines below)."""
    credits = "credits unknown yet" if t.credits is None else f"~{t.credits:,.0f} credits (est.)"
    if t.credits is None and measured:
        credits = f"~{measured:,.0f} credits (est.) for the grids measured so far, more unknown yet"
    counts = f"{plural(t.runs, 'run')} · {plural(t.rows, 'row')} · {t.failed:,} failed"
    line = f"{name}: {counts} · {credits}"
    if t.reused:
        saved = "" if t.saved is None else f", ~{t.saved:,.0f} credits saved"
        line += f" · ♻️ {t.reused:,} reused{saved}"
    return line


def usage_blocks(report: UsageReport, *, everyone: bool, today: str | None = None) -> list[dict]:
    month = f"since {when(report.since)}"
    blocks: list[Block] = []
    if everyone:
        blocks.append(
            section(
                f"*Usage this month* ({month})\n"
                + _totals_line("All", report.total, _measured(report))
            )
        )
        for title, table, label in (
            ("By person", report.by_person, mention),
            ("By grid", report.by_grid, lambda n: f"*{escape(truncate(n, 80))}*"),
        ):
            blocks.append(DividerBlock())
            rows = sorted(table.items(), key=lambda kv: -kv[1].rows)[:40]
            lines = [f"• {_totals_line(label(k), v)}" for k, v in rows] or ["Nothing yet."]
            blocks.append(section(f"*{title}*\n" + truncate("\n".join(lines), 2900)))
    else:
        blocks.append(
            section(
                f"*Your usage this month* ({month})\n"
                + _totals_line("You", report.total, _measured(report))
            )
        )
        for name, t in sorted(report.by_grid.items(), key=lambda kv: -kv[1].rows)[:20]:
            blocks.append(context(_totals_line(f"*{escape(truncate(name, 80))}*", t)))
    if today:
        blocks.append(context(today))
    blocks.append(
        context(
            "Credits are estimates from each grid's measured cost per row; "
            "“unknown yet” until a batch of that grid has been measured."
        )
    )
    return render(blocks)


def _measured(report: UsageReport) -> float:
    """The estimated credits of the grids whose cost per row is known."""
    return sum(t.credits for t in report.by_grid.values() if t.credits is not None)


def _sentence(why: str, limit: int = 200) -> str:
    """A refusal sentence as the person saw it. It is the policy's own mrkdwn (grid names
    already escaped there), so mentions stay mentions; escaping it again showed raw
    `&lt;@U…&gt;`. Cut short, it never ends inside a `<…>`."""
    if len(why) <= limit:
        return why
    cut = why[: limit - 1]
    if cut.rfind("<") > cut.rfind(">"):
        cut = cut[: cut.rfind("<")]
    return cut.rstrip() + "…"
