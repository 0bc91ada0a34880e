"""How a reused answer reads: where it came from, that it cost nothing, and Run fresh.

Every surface that shows a run (announcement, thread result, status, runs list, Home)
uses these lines, so a reused answer is never mistaken for fresh data.
"""

from __future__ import annotations

from datetime import datetime, timezone

from slack_sdk.models.blocks import ActionsBlock

from bot.slack.blocks.common import RUN_FRESH_ACTION, button, context, day
from bot.slack.text import mention
from bot.store.run_record import Run


def provenance(run: Run) -> str:
    """"from a run on 12 Nov by @maria — no credits spent" (mrkdwn, Slack date token)."""
    by = f" by {mention(run.reused_from_user)}" if run.reused_from_user else ""
    return f"from a run on {day(run.reused_from_at)}{by} — no credits spent"


def provenance_plain(run: Run) -> str:
    """The same for notification text, where date tokens are not rendered."""
    at = run.reused_from_at
    date = datetime.fromtimestamp(at, timezone.utc).strftime("%d %b %Y") if at else "earlier"
    by = f" by {mention(run.reused_from_user)}" if run.reused_from_user else ""
    return f"from a run on {date}{by} — no credits spent"


def fresh_hint() -> object:
    return context(
        "This answer was not fetched again, so it may be out of date. "
        "*Run fresh* asks BitScale now and spends credits."
    )


def fresh_actions(run: Run, fresh_by: str | None = None) -> object:
    if fresh_by:
        return context(f"🔄 {mention(fresh_by)} asked for a fresh run; it is in the channel.")
    return ActionsBlock(elements=[button("Run fresh", RUN_FRESH_ACTION, run.id, "primary")])
