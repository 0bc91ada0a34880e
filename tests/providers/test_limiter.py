"""The shared limiter: pacing, priority and Retry-After, over real loopback HTTP too."""

from __future__ import annotations

import threading
import time

from bot.providers.bitscale.client import BitScaleClient
from bot.providers.bitscale.transport import Priority
from bot.providers.limiter import RateLimiter
from bot.providers.shared_rates import limiter_for


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_never_more_than_rate_in_a_window():
    limiter = RateLimiter(rate=5, per=0.2, margin=0.0)
    starts = []
    for _ in range(12):
        limiter.acquire()
        starts.append(time.monotonic())
    for i in range(len(starts) - 5):
        assert starts[i + 5] - starts[i] >= 0.2 - 1e-3


def test_first_burst_goes_straight_through():
    clock = FakeClock()
    limiter = RateLimiter(rate=5, per=1.0, clock=clock)
    for _ in range(5):
        limiter.acquire()  # would block forever on the fake clock if it waited
    assert limiter.granted == 5


def test_interactive_callers_jump_the_queue():
    limiter = RateLimiter(rate=1, per=0.05, margin=0.0)
    limiter.acquire()
    order: list[str] = []
    lock = threading.Lock()

    def worker(name: str, priority: Priority) -> None:
        limiter.acquire(priority)
        with lock:
            order.append(name)

    polls = [threading.Thread(target=worker, args=(f"poll{i}", Priority.POLL)) for i in range(4)]
    for t in polls:
        t.start()
    time.sleep(0.02)  # let the polls queue up first
    modal = threading.Thread(target=worker, args=("modal", Priority.INTERACTIVE))
    modal.start()
    for t in [*polls, modal]:
        t.join(5)
    assert order.index("modal") <= 1


def test_pause_holds_everyone_back():
    limiter = RateLimiter(rate=100, per=1.0)
    limiter.pause(0.15)
    begin = time.monotonic()
    limiter.acquire()
    assert time.monotonic() - begin >= 0.14


def test_a_429_widens_the_window_and_the_extra_fades():
    clock = FakeClock()
    limiter = RateLimiter(rate=5, per=1.0, margin=0.1, clock=clock)
    limiter.pause = lambda seconds: None
    assert limiter.window == 1.1
    limiter.on_rejected(1.0)
    limiter.on_rejected(1.0)
    assert abs(limiter.window - 1.2) < 1e-9
    clock.now += limiter.EXTRA_FADE / 2
    assert abs(limiter.window - 1.15) < 1e-9
    clock.now += limiter.EXTRA_FADE
    assert limiter.window == 1.1


def test_one_limiter_per_key():
    assert limiter_for("k1") is limiter_for("k1")
    assert limiter_for("k1") is not limiter_for("k2")


def test_many_threads_against_the_simulator_never_trip_its_limit(simulator):
    client = BitScaleClient(simulator.api_key, simulator.url, limiter=RateLimiter(rate=5))
    errors = []

    def call() -> None:
        try:
            client.workspace()
        except Exception as exc:  # noqa: BLE001 - collected for the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=call) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    client.close()
    assert errors == []
    assert simulator.count(status=429) == 0
    assert simulator.count(status=200) == 16
    assert simulator.max_in_window(1.0) <= 5
