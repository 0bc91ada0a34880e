"""Which budget each provider limiter takes its slots from: on PostgreSQL, one per account
shared by every process on the database (bot/store/rate_budgets.py); on SQLite, where
exactly one process runs, the limiter's own."""

from __future__ import annotations

from bot.providers.limiter import RateLimiter
from bot.store.database import Store
from bot.store.rate_budgets import RateBudget


def share_budgets(store: Store, *limiters: RateLimiter) -> None:
    for limiter in limiters:
        budget = None
        if store.postgres and limiter.account is not None:
            budget = RateBudget(store.sql, limiter.account, limiter.rate)
        limiter.share(budget)
