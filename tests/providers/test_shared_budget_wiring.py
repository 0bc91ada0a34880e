"""Which budget the bot's provider limiters take from: their own on SQLite (one process,
exactly as before), the account's shared one on PostgreSQL, named without the key."""

from __future__ import annotations

from bot.playground.rigs.stack import LocalStack
from bot.providers.shared_rates import account_name, limiter_for, share_budgets
from bot.store.database import Store
from bot.store.rate_budgets import RateBudget


def _limiters(stack: LocalStack) -> list:
    assert stack.bot is not None
    pages = stack.bot.providers.get("bittlebits").client
    return [stack.bot.bitscale.limiter, pages.post_limiter, pages.get_limiter]


def test_a_sqlite_bot_keeps_each_budget_to_itself(tmp_path):
    with LocalStack(str(tmp_path / "bot.db")) as stack:
        assert [limiter.shared for limiter in _limiters(stack)] == [None, None, None]
        stack.bot.bitscale.workspace()  # paced by the process's own limiter, as before
        assert stack.bot.bitscale.limiter.granted >= 1
        assert stack.bot.store.sql.scalar("SELECT COUNT(*) FROM rate_slots") == 0


def test_on_postgresql_each_limiter_takes_from_its_accounts_shared_budget(postgres_url):
    store = Store(postgres_url, pool_size=2)
    key = "bs-live-0123456789abcdef"
    bitscale = limiter_for(key, 5)
    posts = limiter_for("http://pages", 100, scope="bittlebits-post", per=3600.0)
    gets = limiter_for("http://pages", 5, scope="bittlebits-get")
    share_budgets(store, bitscale, posts, gets)  # what bootstrap does on PostgreSQL
    budgets = [limiter.shared for limiter in (bitscale, posts, gets)]
    assert all(isinstance(budget, RateBudget) for budget in budgets)
    assert budgets[0].budget == account_name("bitscale", key)
    assert len({budget.budget for budget in budgets}) == 3  # one per account and kind
    assert all(key not in budget.budget for budget in budgets)
    assert (budgets[1].rate, budgets[2].rate) == (100, 5)
    # per-second budgets spread background starts; the hourly one keeps its bursts
    assert [budget.spread > 0 for budget in budgets] == [True, False, True]
    bitscale.acquire()
    stamped = store.sql.scalar(
        "SELECT COUNT(*) FROM rate_slots WHERE budget = :b AND started_at > 0",
        {"b": budgets[0].budget},
    )
    assert stamped == 1
    stored = " ".join(str(row) for row in store.sql.query("SELECT * FROM rate_slots"))
    assert key not in stored
    sqlite = Store(":memory:")
    share_budgets(sqlite, bitscale, posts, gets)  # a SQLite bot built later: its own again
    assert [limiter.shared for limiter in (bitscale, posts, gets)] == [None, None, None]
    store.close()
