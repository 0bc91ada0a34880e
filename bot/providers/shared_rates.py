"""Which budget each provider limiter takes its slots from: on PostgreSQL, one per account
shared by every process on the database (bot/store/rate_budgets.py); on SQLite, where
exactly one process runs, the limiter's own."""

from __future__ import annotations

from bot.providers.limiter import RateLimiter
from bot.store.database import Store
from bot.store.rate_budgets import RateBudget

# Per-second budgets spread background starts out (see RateBudget), so a person's request
# during a flood finds a slot within about a fifth of a second. An hourly budget keeps its
# bursts: spread out, its 100 submissions would come one every half minute.
SPREAD = 0.8
SPREAD_UP_TO = 2.0  # seconds of window


def share_budgets(store: Store, *limiters: RateLimiter) -> None:
    for limiter in limiters:
        budget = None
        if store.postgres and limiter.account is not None:
            spread = SPREAD if limiter.base_window <= SPREAD_UP_TO else 0.0
            budget = RateBudget(store.sql, limiter.account, limiter.rate, spread=spread)
        limiter.share(budget)
