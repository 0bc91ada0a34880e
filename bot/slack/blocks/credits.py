"""Credits: the `/bitscale credits` reply and the credit alerts (threshold and forecast)."""

from __future__ import annotations

from bot.insight.credits import CreditAlert
from bot.insight.drivers import Drivers
from bot.insight.forecast import Forecast
from bot.providers.bitscale.models import Workspace
from bot.slack.blocks.common import bar, context, date, render, section
from bot.slack.blocks.forecast import forecast_lines, forecast_summary, local_date
from bot.slack.text import escape, mention, truncate


def credits_blocks(
    ws: Workspace, forecast: Forecast | None = None, locale: str | None = None
) -> list[dict]:
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
    blocks = [section("\n".join(lines))]
    if forecast is not None:
        blocks.append(section("\n".join(forecast_lines(forecast, locale))))
    return render(blocks)


def _percent(part: int, total: int) -> str:
    return f"{round(100 * part / total)}%" if total > 0 else "—"


def drivers_lines(drivers: Drivers, *, people: bool = True) -> list[str]:
    """'Company Enrichment 1,200 rows (≈6,000 credits)' lines, grids then people."""

    def amount(rows: int, credits: float | None) -> str:
        spent = f" (≈{round(credits):,} credits)" if credits else ""
        return f"{rows:,} row{'s' if rows != 1 else ''}{spent}"

    lines = []
    if drivers.grids:
        lines.append(
            "*Top grids:* "
            + " · ".join(
                f"{escape(truncate(d.name, 60))} {amount(d.rows, d.credits)}" for d in drivers.grids
            )
        )
    if people and drivers.people:
        lines.append(
            "*Top people:* "
            + " · ".join(f"{mention(d.name)} {amount(d.rows, d.credits)}" for d in drivers.people)
        )
    return lines or ["No runs in that time."]


def credit_alert_message(alert: CreditAlert, locale: str | None = None) -> tuple[str, list[dict]]:
    ws = alert.workspace
    if alert.kind == "forecast":
        return _forecast_alert(alert, locale)
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
    blocks = [section(body)]
    if alert.forecast is not None and alert.kind == "credits":
        blocks.append(section("\n".join(forecast_lines(alert.forecast, locale))))
    blocks.append(
        context(
            "Top up or change the plan in BitScale → Settings → Billing. "
            "You'll hear from me again only after it recovers and drops again."
        )
    )
    return text, render(blocks)


def _forecast_alert(alert: CreditAlert, locale: str | None) -> tuple[str, list[dict]]:
    f = alert.forecast
    assert f is not None and f.run_out is not None and f.renews is not None
    days = (f.renews - f.run_out).days
    text = (
        f"⚠️ BitScale credits run out before the plan renews: {forecast_summary(f, locale)} "
        f"Renewal {local_date(f.renews, locale)}."
    )
    blocks = [
        section(
            f"⚠️ *At this pace the credits run out {days:,} day{'s' if days != 1 else ''} "
            f"before the plan renews.* {alert.workspace.credits.remaining:,} credits left."
        ),
        section("\n".join(forecast_lines(f, locale))),
    ]
    if alert.drivers is not None:
        lines = "\n".join(drivers_lines(alert.drivers))
        blocks.append(section(f"*What drives the spend (last 7 days)*\n{lines}"))
    blocks.append(
        context(
            "Top up or change the plan in BitScale → Settings → Billing, or slow the biggest "
            "grids down. You'll hear from me again only after the forecast recovers and drops "
            "again. Admins can turn this alert off in `/bitscale admin`."
        )
    )
    return text, render(blocks)
