"""The weekly digest as one Slack message: what was spent this week against last, the
forecast, the top grids and people, failed runs by reason, credits saved by reuse and the
batches waiting for approval, with the chart's blocks (slack/charts.py) under the forecast.

Within Slack's limits whatever the week held: at most 50 blocks, each section under 3,000
characters, long lists cut with "and N more"; the notification text is one short line.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timezone

from slack_sdk.models.blocks import Block, DividerBlock, HeaderBlock

from bot.insight.digest import DigestFacts
from bot.slack.blocks.common import MAX_SECTION_TEXT, context, render, section
from bot.slack.blocks.credits import drivers_lines
from bot.slack.blocks.forecast import date_range, forecast_lines, forecast_summary
from bot.slack.text import escape, mention, plain, plural, truncate

MAX_LISTED = 8  # failure reasons and waiting batches shown; the rest are counted


def _week_words(facts: DigestFacts) -> str:
    this, last = facts.spent_this_week, facts.spent_last_week
    line = f"💳 *Credits used this week:* {this:,} (last week {last:,}"
    if last > 0:
        change = round(100 * (this - last) / last)
        line += f", {'+' if change >= 0 else ''}{change}%"
    return line + ")."


def _failures(facts: DigestFacts) -> str:
    if not facts.failures:
        return "✅ *Failed runs:* none this week."
    total = sum(f.runs for f in facts.failures)
    lines = [f"❌ *Failed runs this week:* {total:,}, by reason"]
    for f in facts.failures[:MAX_LISTED]:
        example = f" — _{escape(truncate(f.example, 120))}_" if f.example else ""
        lines.append(f"• `{escape(truncate(f.reason, 60))}` × {f.runs:,}{example}")
    return "\n".join(lines)


def _reuse(facts: DigestFacts) -> str:
    if not facts.reused_rows:
        return "♻️ *Saved by reuse:* no rows answered from earlier results this week."
    saved = f", about {round(facts.saved_credits):,} credits" if facts.saved_credits else ""
    rows = f"{facts.reused_rows:,} row{'s' if facts.reused_rows != 1 else ''}"
    return f"♻️ *Saved by reuse:* {rows} answered from earlier results{saved}."


def _waiting(facts: DigestFacts) -> str:
    if not facts.waiting:
        return "🕒 *Waiting for approval:* nothing."
    lines = [f"🕒 *Waiting for approval:* {len(facts.waiting):,}"]
    for w in facts.waiting[:MAX_LISTED]:
        lines.append(
            f"• {escape(truncate(w.grid_name, 60))}, {plural(w.rows, 'row')}, "
            f"by {mention(w.requester)}"
        )
    if len(facts.waiting) > MAX_LISTED:
        lines.append(f"…and {len(facts.waiting) - MAX_LISTED:,} more (see the approvals channel)")
    return "\n".join(lines)


def _section(text: str) -> Block:
    return section(truncate(text, MAX_SECTION_TEXT))


def digest_message(
    facts: DigestFacts, chart: Sequence[Block] = (), locale: str | None = None
) -> tuple[str, list[dict]]:
    """The notification text and the blocks; `chart` is the picture's blocks (or its line)."""
    week = date_range(_day(facts.since), _day(facts.until), locale)
    text = plain(
        f"Weekly BitScale digest, {week}: {facts.spent_this_week:,} credits used "
        f"(last week {facts.spent_last_week:,}). {forecast_summary(facts.forecast, locale)}",
        300,
    )
    blocks: list[Block] = [
        HeaderBlock(text=plain(f"BitScale this week · {week}", 150)),
        _section(_week_words(facts)),
        _section("\n".join(forecast_lines(facts.forecast, locale))),
        *chart[:2],
        DividerBlock(),
        _section("*What drove the spend*\n" + "\n".join(drivers_lines(facts.drivers))),
        _section(_failures(facts)),
        _section(_reuse(facts)),
        _section(_waiting(facts)),
        context("Admins get this every Monday at 09:00. Turn yours off in `/bitscale admin`."),
    ]
    return text, render(blocks)


def _day(epoch: float) -> date:
    return datetime.fromtimestamp(epoch, timezone.utc).date()
