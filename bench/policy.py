"""The cost of asking the policy before every run, with a large history.

    python bench/policy.py              # 100,000 runs over 60 days, 200 people
    python bench/policy.py --runs 20000

Builds a SQLite file with N runs, sets a per-person and a workspace budget and restricts
50 grids, then times `Policy.check_run` (access + both budgets, what every run start
asks), `Policy.runnable` for a 10-grid page, and `Usage.month()` (the admin's
`/bitscale usage`). Prints the numbers; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.governance.access import GridAccess  # noqa: E402
from bot.governance.audit import AuditLog  # noqa: E402
from bot.governance.policy import PERSON_BUDGET, WORKSPACE_BUDGET, Policy  # noqa: E402
from bot.governance.stored_settings import StoredSettings  # noqa: E402
from bot.governance.usage import Usage  # noqa: E402
from bot.store.database import Store  # noqa: E402

DAY = 86400.0


def build(store: Store, count: int, now: float) -> None:
    db = store.db()
    rng = random.Random(7)
    rows = []
    for i in range(count):
        rows.append(
            (f"r{i}", f"grid-{i % 80:02d}", "Grid", json.dumps({"a": str(i)}), f"U{i % 200:04d}",
             rng.choice(["completed", "completed", "failed", "reused"]),
             now - rng.random() * 60 * DAY)
        )
    db.conn.executemany(
        "INSERT INTO runs (id, grid_id, grid_name, inputs, user_id, state, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    db.conn.commit()


def timed(fn, times: int) -> list[float]:
    out = []
    for _ in range(times):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def report(name: str, samples: list[float]) -> None:
    samples.sort()
    p95 = samples[int(len(samples) * 0.95) - 1]
    print(f"{name:<34} p50 {statistics.median(samples):7.3f} ms   p95 {p95:7.3f} ms")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=100_000)
    args = parser.parse_args()
    now = time.time()
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "bench.db")
        started = time.perf_counter()
        build(store, args.runs, now)
        print(f"built {args.runs:,} runs in {time.perf_counter() - started:.1f} s")
        audit = AuditLog(store)
        policy = Policy(StoredSettings(store, audit), audit, Usage(store), named_admins=("UA",))
        policy.settings.set(PERSON_BUDGET, 10_000, actor="UA")
        policy.settings.set(WORKSPACE_BUDGET, 1_000_000, actor="UA")
        for g in range(50):
            policy.set_grid_access(f"grid-{g:02d}", GridAccess("chosen", ("U0001",)), actor="UA")
        report("check_run (access + 2 budgets)",
               timed(lambda: policy.check_run("U0001", "grid-70", 1, entry="bench"), 500))
        page = [f"grid-{g:02d}" for g in range(45, 55)]
        report("runnable (10-grid page)", timed(lambda: policy.runnable("U0002", page), 500))
        report("usage.month (everyone)", timed(lambda: policy.usage.month(), 20))
        report("usage.month (one person)", timed(lambda: policy.usage.month("U0003"), 50))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
