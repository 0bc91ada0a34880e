"""The rate budget shared on PostgreSQL: throughput against the ceiling, and its cost.

    python bench/shared_rate.py                 # BitScale's budget: 5 a second, 6 s each
    python bench/shared_rate.py --quick         # scaled down: 5 per 0.2 s, about 10 s in all

Each "process" is its own Store (its own connection pool) on one PostgreSQL schema, with
its own RateLimiter sharing the account's budget (bot/store/rate_budgets.py), and two
threads asking for slots as fast as they are given. For 1, 2 and 3 processes it prints the
requests a second achieved after the first window's burst, as a share of the ceiling
(`rate` per `per` seconds, what the provider allows) and of the limiter's own window (`per`
plus its margin); the most starts in any `per` window on the database server's clock; and
how long a person's request waited during that flood. The first row is one local limiter
alone (a SQLite bot today), on this host's clock. Then the cost of asking the database: an
uncontended acquisition with the shared budget against the local limiter alone, in the
same run. The server is TEST_DATABASE_URL or 127.0.0.1:5432 (as the tests use).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import threading
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.providers.limiter import Aborted, RateLimiter  # noqa: E402
from bot.providers.shared_rates import SPREAD  # noqa: E402
from bot.store.database import Store  # noqa: E402
from bot.store.rate_budgets import RateBudget, Taken  # noqa: E402
from tests.pg import SERVER, schema_url  # noqa: E402

BACKGROUND, INTERACTIVE = 5, 0


class Noted:
    """The shared budget, noting each start it gives (server clock)."""

    closed = False

    def __init__(self, budget: RateBudget, starts: list[float]) -> None:
        self.budget, self.starts = budget, starts

    def take(self, window: float, *, urgent: bool = False) -> Taken:
        taken = self.budget.take(window, urgent=urgent)
        if taken.started_at is not None:
            self.starts.append(taken.started_at)
        return taken

    def pause(self, seconds: float) -> float:
        return self.budget.pause(seconds)

    def state(self, window: float) -> tuple[int, float]:
        return self.budget.state(window)


def most_in_window(starts: list[float], width: float) -> int:
    starts, most, j = sorted(starts), 0, 0
    for i, t in enumerate(starts):
        while starts[j] <= t - width:
            j += 1
        most = max(most, i - j + 1)
    return most


def flood(url: str, processes: int, args: argparse.Namespace, budget: str | None) -> dict:
    """`processes` limiters on their own Stores sharing `budget`; None: one local limiter
    alone (today's SQLite bot), its starts read on this host's clock."""
    stores = [Store(url, pool_size=4) for _ in range(processes)]
    starts: list[float] = []
    limiters = []
    for store in stores:
        limiter = RateLimiter(rate=args.rate, per=args.per, margin=args.margin)
        if budget is not None:
            shared = RateBudget(store.sql, budget, args.rate, spread=args.spread)
            shared.ensure()
            limiter.share(Noted(shared, starts))
        limiters.append(limiter)
    stop = threading.Event()

    def hammer(limiter: RateLimiter) -> None:
        while not stop.is_set():
            try:
                limiter.acquire(BACKGROUND, abort=stop)
            except Aborted:
                return
            if budget is None:
                starts.append(time.time())

    threads = [threading.Thread(target=hammer, args=(lim,)) for lim in limiters for _ in "ab"]
    for thread in threads:
        thread.start()
    waits: list[float] = []
    chance = random.Random(processes)
    person = limiters[-1]  # on the last process, whose background work competes too
    began = time.monotonic()
    while time.monotonic() - began < args.seconds:
        # At random moments: a fixed period would fall in step with the budget's windows.
        time.sleep(chance.uniform(0.2, 1.8) * args.seconds / (args.people + 1))
        asked = time.monotonic()
        person.acquire(INTERACTIVE)
        waits.append(time.monotonic() - asked)
        if budget is None:
            starts.append(time.time())
    stop.set()
    for thread in threads:
        thread.join(10)
    for store in stores:
        store.close()
    # Steady state: whole windows from the first one's end (the burst a fresh budget
    # allows) on, so a window's bunch of starts is counted whole or not at all.
    steady, window = sorted(starts), args.per + args.margin
    first = steady[0] + window
    span = int((steady[-1] - first) / window) * window
    counted = [t for t in steady if first <= t < first + span]
    achieved = len(counted) / span if span else 0.0
    return {
        "processes": processes if budget is not None else "local",
        "starts": len(starts),
        "per_second": round(achieved, 2),
        "share_of_ceiling": round(achieved / (args.rate / args.per), 3),
        "share_of_limiter_window": round(achieved / (args.rate / (args.per + args.margin)), 3),
        "max_in_any_window": most_in_window(starts, args.per),
        "person_wait_ms_p50": round(statistics.median(waits) * 1000, 1) if waits else None,
        "person_wait_ms_max": round(max(waits) * 1000, 1) if waits else None,
    }


def acquisition_cost(url: str, count: int) -> dict:
    """Uncontended: a budget far above what the loop can use, so nobody waits for a slot."""
    local = RateLimiter(rate=1_000_000, per=1.0, margin=0.0)
    store = Store(url, pool_size=2)
    shared_limiter = RateLimiter(rate=1_000_000, per=1.0, margin=0.0)
    budget = RateBudget(store.sql, f"cost-{uuid.uuid4().hex[:8]}", 64)
    budget.ensure()
    # 64 slots, window 1 µs: every take finds a free slot at once.
    shared_limiter.share(budget)
    shared_limiter.base_window = 1e-6
    results = {}
    for name, limiter in (("local", local), ("shared", shared_limiter)):
        times = []
        for _ in range(count):
            began = time.perf_counter()
            limiter.acquire(BACKGROUND)
            times.append(time.perf_counter() - began)
        times.sort()
        results[name] = {
            "mean_ms": statistics.fmean(times) * 1000,
            "p50_ms": times[len(times) // 2] * 1000,
            "p99_ms": times[int(len(times) * 0.99)] * 1000,
        }
    store.close()
    local_ms, shared_ms = results["local"]["mean_ms"], results["shared"]["mean_ms"]
    return {
        **{f"{k}_{m}": round(v, 4) for k, r in results.items() for m, v in r.items()},
        "added_ms": round(shared_ms - local_ms, 3),
        "ratio": round(shared_ms / local_ms, 1) if local_ms else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="5 per 0.2 s, 2 s each")
    parser.add_argument("--rate", type=int, default=5)
    parser.add_argument("--per", type=float, default=1.0)
    parser.add_argument("--margin", type=float, default=0.1)
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--people", type=int, default=10, help="interactive requests each")
    parser.add_argument("--acquisitions", type=int, default=500)
    parser.add_argument("--spread", type=float, default=SPREAD, help="0: bursts allowed")
    parser.add_argument("--out", help="also write the numbers here as JSON")
    args = parser.parse_args()
    if args.quick:
        args.per, args.margin, args.seconds = 0.2, 0.02, 2.0
    import psycopg

    schema = f"bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(SERVER, autocommit=True) as connection:
        connection.execute(f'CREATE SCHEMA "{schema}"')
    try:
        url = schema_url(schema)
        Store(url).close()  # migrate once, before anything is timed
        rows = [flood(url, 1, args, None)]
        rows += [flood(url, n, args, f"account-{n}") for n in (1, 2, 3)]
        cost = acquisition_cost(url, args.acquisitions)
    finally:
        with psycopg.connect(SERVER, autocommit=True) as connection:
            connection.execute(f'DROP SCHEMA "{schema}" CASCADE')
    ceiling = args.rate / args.per
    print(
        f"Shared rate budget on PostgreSQL: {args.rate} per {args.per:g} s (ceiling "
        f"{ceiling:g}/s; the limiter leaves a {args.margin:g} s margin), {args.seconds:g} s each"
    )
    print(
        f"{'processes':>9} {'req/s':>7} {'of ceiling':>10} {'of window':>9} "
        f"{'max/window':>10} {'person p50':>10} {'person max':>10}"
    )
    for row in rows:
        print(
            f"{row['processes']:>9} {row['per_second']:>7.2f} {row['share_of_ceiling']:>10.1%} "
            f"{row['share_of_limiter_window']:>9.1%} {row['max_in_any_window']:>10} "
            f"{row['person_wait_ms_p50']:>8} ms {row['person_wait_ms_max']:>8} ms"
        )
    print(
        f"Acquisition, uncontended ({args.acquisitions} each): local "
        f"{cost['local_mean_ms']:.4f} ms, shared {cost['shared_mean_ms']:.3f} ms "
        f"(p99 {cost['shared_p99_ms']:.3f} ms): +{cost['added_ms']:.3f} ms, "
        f"{cost['ratio']}x the local limiter alone"
    )
    if args.out:
        Path(args.out).write_text(json.dumps({"flood": rows, "acquisition": cost}, indent=2))


if __name__ == "__main__":
    main()
