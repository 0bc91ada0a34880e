"""Which limiter each provider account uses (one per account and process, `limiter_for`),
and which budget it takes its slots from: on PostgreSQL, one per account shared by every
process on the database (bot/store/rate_budgets.py); on SQLite, where exactly one process
runs, the limiter's own."""

from __future__ import annotations

import hashlib
import threading

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


def account_name(scope: str, key: str) -> str:
    """A name for the account behind `key` in `scope` that does not reveal the key."""
    return hashlib.sha256(f"{scope}\0{key}".encode()).hexdigest()[:24]


_registry: dict[int, RateLimiter] = {}
_registry_lock = threading.Lock()


def limiter_for(
    api_key: str, rate: int = 5, *, scope: str = "bitscale", per: float = 1.0
) -> RateLimiter:
    """The one limiter shared by every caller of this budget (`scope`) using this key in
    this process."""
    # Keyed by hash so the registry never holds the key itself.
    slot = hash((scope, api_key, per))
    with _registry_lock:
        limiter = _registry.get(slot)
        if limiter is None or limiter.rate != rate:
            limiter = _registry[slot] = RateLimiter(rate=rate, per=per)
            limiter.account = account_name(scope, api_key)
        return limiter
