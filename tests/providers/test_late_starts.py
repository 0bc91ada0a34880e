"""A request that left later than the limiter let it go is counted from when it left, so
the next request to reuse its slot waits a full window after it: locally on an injected
clock, and in the budget shared on PostgreSQL."""

from __future__ import annotations

from bot.providers.limiter import RateLimiter
from bot.store.database import Store
from bot.store.rate_budgets import RateBudget
from tests.providers.test_limiter import FakeClock


def test_a_late_start_holds_its_slot_a_window_after_it_left():
    clock = FakeClock()
    limiter = RateLimiter(rate=1, per=1.0, margin=0.1, clock=clock)
    first = limiter.acquire()
    limiter.started_late(first, 0.3)  # it waited 0.3 s for a thread to send it
    clock.now += 1.1  # a window after it was let go, but not after it left
    assert not limiter.try_acquire()
    clock.now += 0.3
    assert limiter.try_acquire()


def test_a_start_a_moment_late_changes_nothing():
    clock = FakeClock()
    limiter = RateLimiter(rate=1, per=1.0, margin=0.1, clock=clock)
    start = limiter.acquire()
    limiter.started_late(start, RateLimiter.LATE_ENOUGH / 2)
    clock.now += 1.1
    assert limiter.try_acquire()


def test_a_start_already_out_of_the_window_is_left_alone():
    clock = FakeClock()
    limiter = RateLimiter(rate=1, per=1.0, margin=0.1, clock=clock)
    start = limiter.acquire()
    clock.now += 5
    assert limiter.try_acquire()
    limiter.started_late(start, 0.5)  # long gone: the new start is not pushed back
    clock.now += 1.1
    assert limiter.try_acquire()


def test_the_shared_budget_reuses_a_late_slot_a_window_after_it_left(postgres_url):
    store = Store(postgres_url, pool_size=2)
    try:
        budget = RateBudget(store.sql, "late-account", 1)
        taken = budget.take(1.0)
        assert taken.started_at is not None
        budget.started_late(taken.started_at, 30.0)  # a window of 1 s: 30 s is plain
        held = budget.take(1.0)
        assert held.started_at is None and held.wait > 29.0
    finally:
        store.close()
