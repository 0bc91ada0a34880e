"""Result reuse with a large history: one match, and a 10,000-row batch preview.

    python bench/reuse.py                  # 100,000 stored results (about 30 s to build)
    python bench/reuse.py --results 20000  # a smaller history

Builds a SQLite file with N completed runs spread over 60 days and 5 grids (plus failed
runs, which are never results), then times `ResultIndex.find` for single look-ups (half
hits, half misses), `ResultIndex.find_many` for a 10,000-row batch of which half the
rows were answered before, and the whole batch preview the bot computes from a 10,000-row
CSV file (check the file, plan its rows, count the rows that will reuse). Prints the
numbers; asserts nothing.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from types import SimpleNamespace  # noqa: E402

from bot.batches.csvread import inspect_csv  # noqa: E402
from bot.batches.rows import plan  # noqa: E402
from bot.batches.service import BatchService  # noqa: E402
from bot.runs.reuse import DAY, ResultIndex, input_key  # noqa: E402
from bot.store.database import Store  # noqa: E402

GRIDS = [f"grid-{i:02d}" for i in range(5)]
OUTPUTS = {
    "work_email": {"name": "Work email", "value": "someone@example.com"},
    "job_title": {"name": "Job title", "value": "VP Sales"},
    "seniority": {"name": "Seniority", "value": "VP"},
}


def person(i: int) -> dict[str, str]:
    return {"full_name": f"Person {i}", "company_domain": f"company{i % 5000}.com"}


def build(store: Store, count: int, now: float) -> set[int]:
    """Store `count` runs; return the numbers of those that are results today."""
    rows, live = [], set()
    for i in range(count):
        grid = GRIDS[i % len(GRIDS)]
        inputs = person(i)
        failed = i % 10 == 9  # every tenth run failed: never a result
        finished = now - random.uniform(0, 60) * DAY
        if not failed and finished >= now - 30 * DAY:
            live.add(i)
        rows.append(
            {
                "id": f"run{i:07d}",
                "grid_id": grid,
                "grid_name": grid,
                "inputs": json.dumps(inputs),
                "output_columns": None,
                "user_id": f"U{i % 40:04d}",
                "state": "failed" if failed else "completed",
                "outputs": None if failed else json.dumps(OUTPUTS),
                "created_at": finished - 30,
                "finished_at": finished,
                "input_key": input_key(grid, inputs),
            }
        )
    db = store.db()
    db["runs"].insert_all(rows, batch_size=5000)
    db.conn.commit()
    db.execute("ANALYZE")
    return live


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--results", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument("--lookups", type=int, default=2_000)
    args = parser.parse_args()
    random.seed(7)
    now = time.time()
    with tempfile.TemporaryDirectory(prefix="bench-reuse-") as tmp:
        store = Store(Path(tmp) / "bot.db")
        started = time.perf_counter()
        live = build(store, args.results, now)
        print(f"history: {args.results:,} runs built in {time.perf_counter() - started:.1f} s")
        index = ResultIndex(store, default_days=30, clock=lambda: now)

        timings, hits = [], 0
        for n in range(args.lookups):
            i = random.randrange(args.results) if n % 2 else args.results + n  # hit / miss
            grid = GRIDS[i % len(GRIDS)]
            t0 = time.perf_counter()
            found = index.find(grid, person(i), ["job_title"], "U0001")
            timings.append(time.perf_counter() - t0)
            hits += found is not None
        timings.sort()
        p = lambda q: timings[min(len(timings) - 1, int(q * len(timings)))] * 1000  # noqa: E731
        print(
            f"single match: {args.lookups:,} look-ups ({hits:,} reused), "
            f"p50 {p(0.50):.3f} ms, p95 {p(0.95):.3f} ms, p99 {p(0.99):.3f} ms, "
            f"max {timings[-1] * 1000:.3f} ms, mean {statistics.mean(timings) * 1000:.3f} ms"
        )

        # a batch on one grid: half its rows have a result within the window, half are new
        grid = GRIDS[3]
        known = [i for i in range(3, args.results, len(GRIDS)) if i in live][: args.batch // 2]
        rows = [person(i) for i in known]
        rows += [person(args.results + i) for i in range(args.batch - len(rows))]
        random.shuffle(rows)
        t0 = time.perf_counter()
        found = index.find_many(grid, rows, ["job_title", "seniority"], "U0001")
        took = time.perf_counter() - t0
        reused = sum(f is not None for f in found)
        print(
            f"batch look-up (find_many): {len(rows):,} rows, {reused:,} reuse a result, "
            f"{took * 1000:.0f} ms"
        )

        # the preview as the bot makes it, from the uploaded file
        path = Path(tmp) / "leads.csv"
        with open(path, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["Full Name", "Company Domain", "Owner"])
            writer.writerows([r["full_name"], r["company_domain"], "rep"] for r in rows)
        mapping = {"full_name": "Full Name", "company_domain": "Company Domain"}
        service = SimpleNamespace(runs=SimpleNamespace(results=index))
        service._earlier_results = lambda *a: BatchService._earlier_results(service, *a)
        t0 = time.perf_counter()
        info = inspect_csv(path.read_bytes(), max_rows=args.batch)
        counted = plan(info, mapping)
        counted.reused = BatchService.reusable(
            service, grid, grid, info, mapping, ["job_title", "seniority"], "U0001"
        )
        took = time.perf_counter() - t0
        print(
            f"batch preview (read + plan + reuse count): {counted.rows_total:,} rows, "
            f"{counted.runs - counted.reused:,} to run, {counted.reused:,} reused, "
            f"{took * 1000:.0f} ms"
        )


if __name__ == "__main__":
    main()
