"""Credits: the `/bitscale credits` reply and the low-credit alert."""

from __future__ import annotations

from bot.insight.credits import CreditAlert
from bot.providers.bitscale.models import Workspace
from bot.slack.blocks.common import bar, context, date, render, section
from bot.slack.text import escape


def credits_blocks(ws: Workspace) -> list[dict]:
    c, s = ws.credits, ws.people_company_searches
    plan = escape(ws.plan.name or "unknown plan")
    lines = [
        f"*{escape(ws.name or 'BitScale workspace')}* · {plan} plan",
        f"*Credits:* {c.remaining:,} left of {c.total:,} ({c.used:,} used)",
        f"`{bar(c.remaining, c.total)}` {_percent(c.remaining, c.total)} left",
        f"*People/company searches:* {s.remaining:,} left of {s.limit:,} this month "
        f"(renews {date(s.next_renewal_date)})",
        f"*Next billing date:* {date(ws.plan.next_billing_date)}",
    ]
    return render([section("\n".join(lines))])


def _percent(part: int, total: int) -> str:
    return f"{round(100 * part / total)}%" if total > 0 else "—"


def credit_alert_message(alert: CreditAlert) -> tuple[str, list[dict]]:
    ws = alert.workspace
    if alert.kind == "credits":
        c = ws.credits
        text = f"⚠️ BitScale credits are low: {c.remaining:,} left"
        body = (
            f"⚠️ *BitScale credits are running low:* {c.remaining:,} left, under the "
            f"alert threshold of {alert.threshold:,}.\n"
            f"Used {c.used:,} of {c.total:,} · plan *{escape(ws.plan.name or '—')}* · "
            f"renews {date(ws.plan.next_billing_date)}"
        )
    else:
        s = ws.people_company_searches
        text = f"⚠️ BitScale people/company searches are low: {s.remaining:,} left"
        body = (
            f"⚠️ *People/company searches are running out:* {s.remaining:,} of "
            f"{s.limit:,} left this month · renews {date(s.next_renewal_date)}"
        )
    blocks = [
        section(body),
        context(
            "Top up or change the plan in BitScale → Settings → Billing. "
            "You'll hear from me again only after it recovers and drops again."
        ),
    ]
    return text, render(blocks)
