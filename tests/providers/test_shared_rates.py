"""One rate budget per provider account, shared by every process on one PostgreSQL.

Three "processes" here are three limiters on three separate Stores on one schema. The
window is scaled down (5 per 0.2 s) so a test lasts about a second; the starts are read on
the database server's clock, the one every process agrees on."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from bot.providers.limiter import Aborted, RateLimiter
from bot.store.database import Store
from bot.store.rate_budgets import RateBudget, Taken
from bot.store.sql import DatabaseUnavailable

RATE, PER, MARGIN = 5, 0.2, 0.02
WINDOW = PER + MARGIN
INTERACTIVE, BACKGROUND = 0, 9


class Recorded:
    """A process's shared budget that also notes each start it was given (server clock)."""

    def __init__(self, budget: RateBudget, log: list[tuple[float, str]], label: str) -> None:
        self.budget, self.log, self.label = budget, log, label
        self.asked: list[float] = []  # when each urgent request first asked (server clock)

    @property
    def closed(self) -> bool:
        return self.budget.closed

    def take(self, window: float, *, urgent: bool = False) -> Taken:
        taken = self.budget.take(window, urgent=urgent)
        if urgent:
            self.asked.append(taken.now)
        if taken.started_at is not None:
            self.log.append((taken.started_at, self.label))
        return taken

    def pause(self, seconds: float) -> float:
        return self.budget.pause(seconds)

    def state(self, window: float) -> tuple[int, float]:
        return self.budget.state(window)


@pytest.fixture
def cluster(postgres_url) -> Iterator[tuple[list[RateLimiter], list[tuple[float, str]]]]:
    stores = [Store(postgres_url, pool_size=4) for _ in range(3)]
    log: list[tuple[float, str]] = []
    limiters = []
    for number, store in enumerate(stores):
        limiter = RateLimiter(rate=RATE, per=PER, margin=MARGIN)
        budget = RateBudget(store.sql, "account-under-test", RATE)
        budget.ensure()  # what each process's first request does, once
        limiter.share(Recorded(budget, log, f"p{number}"))
        limiters.append(limiter)
    yield limiters, log
    for store in stores:
        store.close()


def most_in_any_window(starts: list[float], width: float) -> int:
    starts = sorted(starts)
    most = 0
    for i, first in enumerate(starts):
        most = max(most, sum(1 for t in starts[i:] if t - first < width))
    return most


def hammer(limiter: RateLimiter, priority: int, stop: threading.Event) -> threading.Thread:
    def loop() -> None:
        while not stop.is_set():
            try:
                limiter.acquire(priority, abort=stop)
            except Aborted:
                return

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    return thread


def test_three_processes_never_start_more_than_the_rate_in_any_window(cluster):
    limiters, log = cluster
    stop = threading.Event()
    threads = [hammer(limiter, BACKGROUND, stop) for limiter in limiters for _ in range(2)]
    time.sleep(4 * WINDOW)  # about 3 s of the real 1.1 s window, scaled down
    stop.set()
    for thread in threads:
        thread.join(5)
    starts = [t for t, _ in log]
    assert most_in_any_window(starts, PER) <= RATE
    assert most_in_any_window(starts, WINDOW - 0.001) <= RATE
    # The budget is spent, not wasted: close to the ceiling, and every process had a share.
    ceiling = RATE * (max(starts) - min(starts)) / WINDOW + RATE
    assert len(starts) >= 0.8 * ceiling
    assert {label for _, label in log} == {"p0", "p1", "p2"}
    assert sum(limiter.granted for limiter in limiters) == len(starts)


def test_interactive_requests_on_one_process_go_before_background_ones_on_another(cluster):
    limiters, log = cluster
    busy, people = limiters[0], limiters[1]
    stop = threading.Event()
    threads = [hammer(busy, BACKGROUND, stop) for _ in range(3)]
    time.sleep(3 * WINDOW)  # the background work keeps the budget spent
    waited: list[float] = []

    def person() -> None:
        began = time.monotonic()
        people.acquire(INTERACTIVE)
        waited.append(time.monotonic() - began)

    persons = [threading.Thread(target=person) for _ in range(3)]
    for thread in persons:
        thread.start()
    for thread in persons:
        thread.join(5)
    time.sleep(WINDOW)
    stop.set()
    for thread in threads:
        thread.join(5)
    mine = [t for t, label in log if label == "p1"]
    assert len(mine) == 3 and max(waited) < 2 * WINDOW
    asked = min(people.shared.asked)  # a person's first request reached the database
    # (a background start stamped while that first request was on its way counts as before)
    overtaking = [t for t, label in log if label == "p0" and asked + 0.002 < t < max(mine)]
    assert overtaking == []  # no background start got in while a person waited
    assert any(t > max(mine) for t, label in log if label == "p0")  # and it carried on after


def test_a_429_seen_by_one_process_pauses_the_others(cluster):
    limiters, log = cluster
    limiters[0].acquire()
    limiters[0].on_rejected(retry_after=0.4)
    began = time.monotonic()
    others = [threading.Thread(target=limiter.acquire) for limiter in limiters[1:]]
    for thread in others:
        thread.start()
    for thread in others:
        thread.join(5)
    assert time.monotonic() - began >= 0.35
    first, *rest = sorted(t for t, _ in log)
    assert all(t - first >= 0.35 for t in rest)
    # and each that met the pause leaves the same extra room from now on, as the refused one
    assert all(limiter.window > WINDOW + RateLimiter.EXTRA_STEP * 0.9 for limiter in limiters)


def test_each_process_says_how_long_until_the_clusters_next_slot(cluster):
    limiters, _ = cluster
    for limiter in [*limiters, limiters[0], limiters[1]]:
        limiter.acquire()  # 5 starts between the three: the window is spent
    assert 0 < limiters[2].available_in() <= WINDOW  # although it started none itself
    assert not limiters[2].try_acquire()
    time.sleep(limiters[2].available_in())
    assert limiters[2].try_acquire()


class Flaky(Recorded):
    """The database does not answer the first `failures` times a slot is asked for."""

    def __init__(self, budget: RateBudget, log: list, failures: int) -> None:
        super().__init__(budget, log, "flaky")
        self.failures = failures

    def take(self, window: float, *, urgent: bool = False) -> Taken:
        if self.failures > 0:
            self.failures -= 1
            raise DatabaseUnavailable("OperationalError")
        return super().take(window, urgent=urgent)


def test_a_database_that_does_not_answer_is_waited_out_never_skipped(postgres_url, caplog):
    store = Store(postgres_url, pool_size=2)
    log: list = []
    limiter = RateLimiter(rate=RATE, per=PER, margin=MARGIN)
    limiter.RETRY = 0.05
    limiter.share(Flaky(RateBudget(store.sql, "account", RATE), log, failures=3))
    began = time.monotonic()
    limiter.acquire()
    assert time.monotonic() - began >= 3 * 0.05 - 0.01
    assert len(log) == 1 and limiter.granted == 1
    assert "shared rate budget cannot be reached" in caplog.text
    # While it stays down, nobody starts: a caller that gives up took no slot.
    limiter.share(Flaky(RateBudget(store.sql, "account", RATE), log, failures=10**6))
    stop = threading.Event()
    threading.Timer(0.3, stop.set).start()
    with pytest.raises(Aborted):
        limiter.acquire(abort=stop)
    assert limiter.granted == 1 and len(log) == 1
    store.close()


def test_a_closed_store_leaves_the_limiter_to_its_own_budget(postgres_url):
    store = Store(postgres_url, pool_size=2)
    limiter = RateLimiter(rate=RATE, per=PER, margin=MARGIN)
    limiter.share(RateBudget(store.sql, "account", RATE))
    limiter.acquire()
    store.close()  # this bot stopped; a caller still holding the client must not hang
    limiter.acquire()
    assert limiter.shared is None and limiter.granted == 2


def test_after_a_server_crash_empties_the_budget_it_is_rebuilt(cluster):
    limiters, log = cluster
    budget = limiters[0].shared.budget
    persistence = budget._db.query(
        "SELECT relname, relpersistence FROM pg_class WHERE relname IN "
        "('rate_slots', 'rate_budgets') AND relnamespace = current_schema()::regnamespace"
    )
    assert {row["relpersistence"] for row in persistence} == {"u"}  # not waiting for the disk
    limiters[0].acquire()
    budget._db.run("TRUNCATE rate_slots, rate_budgets")  # what a crash does to them
    limiters[1].on_rejected(retry_after=0.3)  # a pause still reaches the others
    began = time.monotonic()
    limiters[2].acquire()
    assert time.monotonic() - began >= 0.25 and len(log) == 2


def test_spread_out_background_starts_let_a_person_in_within_a_fraction_of_a_window(cluster):
    limiters, log = cluster
    for limiter in limiters:
        limiter.shared.budget.spread = 0.8  # what per-second budgets get (shared_rates.py)
    stop = threading.Event()
    threads = [hammer(limiter, BACKGROUND, stop) for limiter in (limiters[0], limiters[2])]
    threads += [hammer(limiter, BACKGROUND, stop) for limiter in (limiters[0], limiters[2])]
    time.sleep(2 * WINDOW)  # past the first burst: the budget is spent from here on
    waits = []
    for pause in (0.03, 0.11, 0.07, 0.13, 0.05):  # at moments out of step with the window
        time.sleep(pause)
        began = time.monotonic()
        limiters[1].acquire(INTERACTIVE)
        waits.append(time.monotonic() - began)
    stop.set()
    for thread in threads:
        thread.join(5)
    starts = sorted(t for t, _ in log)
    assert most_in_any_window(starts, PER) <= RATE
    # Without spreading, the five slots free together and a person may wait a whole window.
    assert max(waits) < WINDOW / 2
    later = [t for t in starts if t > starts[0] + 2 * WINDOW]
    assert len(later) >= 0.8 * RATE * (later[-1] - later[0]) / WINDOW
