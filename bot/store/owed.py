"""What the bot owes Slack: results written to the database but not yet accepted by Slack
(a run's reply, a batch's summary). A few are owed for a moment in normal work; many, or
one owed for minutes, means Slack is refusing or not answering posts. Read by the
readiness check; the run core and the batch finisher do the posting."""

from __future__ import annotations

from dataclasses import dataclass

from bot.store.database import Store
from bot.store.run_record import FINAL_STATES

_FINAL = ", ".join(f"'{state}'" for state in FINAL_STATES)
_RUNS = (
    "SELECT COUNT(*) AS n, MIN(COALESCE(finished_at, created_at)) AS oldest FROM runs "
    f"WHERE state IN ({_FINAL}) AND notified_at IS NULL AND notify_error IS NULL "
    "AND batch_id IS NULL AND COALESCE(finished_at, created_at) < :before"
)
_BATCHES = (
    "SELECT COUNT(*) AS n, MIN(finished_at) AS oldest FROM batches "
    "WHERE state IN ('done', 'cancelled') AND reply_posted_at IS NULL AND finished_at < :before"
)


@dataclass(frozen=True)
class Owed:
    count: int
    oldest: float | None  # when the longest-owed result was ready (epoch seconds)


def owed_to_slack(store: Store, *, ready_before: float) -> Owed:
    """Results ready before `ready_before` that Slack has not accepted yet."""
    runs = store.sql.one(_RUNS, {"before": ready_before})
    batches = store.sql.one(_BATCHES, {"before": ready_before})
    oldest = min((r["oldest"] for r in (runs, batches) if r["oldest"] is not None), default=None)
    return Owed(int(runs["n"]) + int(batches["n"]), oldest)
