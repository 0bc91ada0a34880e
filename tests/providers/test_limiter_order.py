"""Who gets the next free slot of the shared budget, on an injected clock: a person first,
then polls of runs that are probably done, then new submissions, then polls of runs still
running and background checks, and batch rows last."""

from __future__ import annotations

import threading

from bot.playground.slack.records import wait_for
from bot.providers.bitscale.transport import Priority
from bot.providers.limiter import RateLimiter
from tests.factories import Clock


def grant_order(arrivals: list[Priority]) -> list[Priority]:
    """Callers queue in `arrivals` order behind a spent budget; the clock then frees one
    slot at a time. The order they were let through."""
    clock = Clock(100.0)
    limiter = RateLimiter(rate=1, per=0.05, margin=0.0, clock=clock)
    limiter.acquire()  # the budget is spent until the clock moves
    order: list[Priority] = []
    lock = threading.Lock()

    def caller(priority: Priority) -> None:
        limiter.acquire(int(priority))
        with lock:
            order.append(priority)

    threads = []
    for n, priority in enumerate(arrivals, start=1):
        threads.append(threading.Thread(target=caller, args=(priority,), daemon=True))
        threads[-1].start()
        wait_for(lambda n=n: limiter.waiting() == n)  # queued in this order
    for n in range(1, len(arrivals) + 1):
        clock.now += 1.0  # one window later: one slot is free
        wait_for(lambda n=n: len(order) == n)
    for t in threads:
        t.join(5)
    return order


def test_a_due_poll_goes_before_submissions_that_queued_first():
    order = grant_order([Priority.SUBMIT, Priority.SUBMIT, Priority.DUE_POLL])
    assert order == [Priority.DUE_POLL, Priority.SUBMIT, Priority.SUBMIT]


def test_a_person_goes_before_due_polls_and_submissions():
    order = grant_order([Priority.SUBMIT, Priority.DUE_POLL, Priority.INTERACTIVE])
    assert order == [Priority.INTERACTIVE, Priority.DUE_POLL, Priority.SUBMIT]


def test_a_poll_of_a_run_still_running_waits_behind_submissions():
    order = grant_order([Priority.POLL, Priority.SUBMIT, Priority.DUE_POLL])
    assert order == [Priority.DUE_POLL, Priority.SUBMIT, Priority.POLL]


def test_batch_rows_go_last_whoever_came_first():
    arrivals = [
        Priority.BATCH,
        Priority.BACKGROUND,
        Priority.POLL,
        Priority.SUBMIT,
        Priority.DUE_POLL,
        Priority.INTERACTIVE,
    ]
    assert grant_order(arrivals) == sorted(arrivals)
    assert grant_order(arrivals)[-1] == Priority.BATCH


def test_equals_go_in_the_order_they_came():
    clock = Clock(100.0)
    limiter = RateLimiter(rate=1, per=0.05, margin=0.0, clock=clock)
    limiter.acquire()
    order: list[str] = []

    def caller(name: str) -> None:
        limiter.acquire(int(Priority.SUBMIT))
        order.append(name)

    for n, name in enumerate(["a", "b", "c"], start=1):
        threading.Thread(target=caller, args=(name,), daemon=True).start()
        wait_for(lambda n=n: limiter.waiting() == n)
    for n in range(1, 4):
        clock.now += 1.0
        wait_for(lambda n=n: len(order) == n)
    assert order == ["a", "b", "c"]
