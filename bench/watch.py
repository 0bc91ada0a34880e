"""Watch benchmark: 100 watches of 100 rows each, all due at the same minute.

    python bench/watch.py            # 100 × 100, a 90 s window of the storm
    python bench/watch.py --quick    # 5 × 5, a short window (smoke test)

The whole bot runs in-process on loopback (LocalStack: the real app, scheduler, batch
machinery and SQLite, the BitScale simulator and the Slack stand-in) with the production
tick (WATCH_TICK_SECONDS=5). The watches' clock is real time shifted to the due minute.
Printed as ratios against baselines measured in the same run:
- firing lateness (start − scheduled time), p50 and max, against one watch due alone;
- rows/s during the storm against the 5/s ceiling, and the 429s BitScale sent;
- the watch form's latency during the storm against the same form idle;
- the digest's build time for 10,000 rows, per row, against 100 rows.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.playground.rigs.stack import LocalStack  # noqa: E402
from bot.playground.simulators.bitscale import Simulator  # noqa: E402
from bot.playground.slack.records import wait_for  # noqa: E402
from bot.slack.blocks.watch_messages import digest_message  # noqa: E402
from bot.watches.digest import RowOutcome, build, compare_all, csv_text  # noqa: E402
from bot.watches.schedule import Schedule  # noqa: E402
from bot.watches.service import WatchDraft  # noqa: E402

CEILING = 5.0
GRID = "Company Enrichment"
OUTPUTS = [{"id": "employee_count", "name": "Employee count"},
           {"id": "tech_stack", "name": "Tech stack"}]


class Clock:
    """Real time, shifted: the watches' schedule is due when the benchmark says."""

    def __init__(self) -> None:
        self.offset = 0.0

    def jump_to(self, instant: float) -> None:
        self.offset = instant - time.time()

    def __call__(self) -> float:
        return time.time() + self.offset


def make_watches(stack: LocalStack, count: int, rows: int, prefix: str) -> list:
    watches = stack.bot.watches
    grid = stack.sim.grid_named(GRID)
    schedule = Schedule("daily", "09:00", "America/New_York")
    made = []
    for w in range(count):
        draft = WatchDraft(
            owner=f"U0REP{w:03d}", grid_id=grid.id, grid_name=GRID,
            input_keys=["company_name", "website"],
            rows=[{"company_name": f"{prefix} {w}-{r}", "website": f"c{w}-{r}.io"}
                  for r in range(rows)],
            outputs=OUTPUTS, schedule=schedule, channel_id="C0SALES",
            dedupe_key=f"bench:{prefix}:{w}",
        )
        made.append(watches.create(draft)[0])
    return made


def lateness(stack: LocalStack, watches: list) -> list[float]:
    store = stack.bot.watches.store
    found = []
    for watch in watches:
        for firing in store.firings_of(watch.id):
            if firing.started_at is not None:
                found.append(firing.started_at - firing.scheduled_at)
    return found


def form_ms(stack: LocalStack) -> float:
    started = time.monotonic()
    since = len(stack.standin.view_log)
    stack.driver.command(f"watch {GRID}")
    stack.driver.next_view(since, "watch_form", timeout=60)
    return (time.monotonic() - started) * 1000


def due_now(stack: LocalStack, clock: Clock, watches: list) -> float:
    due = stack.bot.watches.store.get(watches[0].id).next_at
    clock.jump_to(due)
    return time.monotonic()


def bench_storm(args) -> dict:
    # the stopped bot's last threads may still write there: cleaning up must not lose the numbers
    tmp = tempfile.TemporaryDirectory(prefix="bench-watch-", ignore_cleanup_errors=True)
    stack = LocalStack(
        str(Path(tmp.name) / "bot.db"),
        simulator=Simulator("bench-key", latency=args.latency, time_scale=args.time_scale),
        settings={"BATCH_RUN_MODE": "sync", "WATCH_TICK_SECONDS": 5},
    ).start()
    try:
        clock = Clock()
        stack.bot.watches.set_clock(clock)
        idle_forms = [form_ms(stack) for _ in range(3)]
        # the baseline: one watch due alone
        alone = make_watches(stack, 1, args.rows, "Alone")
        due_now(stack, clock, alone)
        wait_for(lambda: lateness(stack, alone), 60)
        alone_late = lateness(stack, alone)[0]
        wait_for(lambda: len(stack.sim.runs_for(GRID)) >= args.rows, 120)
        time.sleep(2)
        stack.bot.watches.delete(alone[0].id, alone[0].owner)
        # the storm: every watch due at the same minute (the next day's slot)
        watches = make_watches(stack, args.watches, args.rows, "Storm")
        before = len(stack.sim.runs_for(GRID))
        window_start = due_now(stack, clock, watches)
        posts_before = stack.sim.count(status=429)
        time.sleep(min(8.0, args.seconds / 3))
        busy_forms = [form_ms(stack) for _ in range(3)]
        rest = args.seconds - (time.monotonic() - window_start)
        time.sleep(max(0.0, rest))
        elapsed = time.monotonic() - window_start
        sent = len(stack.sim.runs_for(GRID)) - before
        late = lateness(stack, watches)
        rate = sent / elapsed
        return {
            "watches": args.watches,
            "rows_each": args.rows,
            "window_seconds": round(elapsed, 1),
            "firings_started": len(late),
            "lateness_alone_s": round(alone_late, 2),
            "lateness_p50_s": round(statistics.median(late), 2) if late else None,
            "lateness_max_s": round(max(late), 2) if late else None,
            "lateness_max_vs_alone": round(max(late) / max(alone_late, 0.01), 2)
            if late else None,
            "rows_sent_in_window": sent,
            "rows_per_second": round(rate, 2),
            "share_of_5_per_s_ceiling": round(rate / CEILING, 3),
            "max_requests_in_any_second": stack.sim.max_in_window(1.0),
            "http_429": stack.sim.count(status=429) - posts_before,
            "form_idle_ms": [round(t) for t in idle_forms],
            "form_in_storm_ms": [round(t) for t in busy_forms],
            "form_storm_vs_idle": round(statistics.median(busy_forms)
                                        / max(1.0, statistics.median(idle_forms)), 2),
        }
    finally:
        stack.stop()
        tmp.cleanup()


def outcomes(count: int) -> list[RowOutcome]:
    rows = []
    for i in range(count):
        known = {"employee_count": 100 + i, "tech_stack": ["AWS", "Heroku", f"T{i}"]}
        new = dict(known)
        if i % 2:  # half the rows change
            new = {"employee_count": f"{200 + i:,}", "tech_stack": ["aws", "Snowflake", f"T{i}"]}
        rows.append(RowOutcome(str(i), {"company_name": f"Co {i}", "website": f"c{i}.io"},
                               known, "completed", new))
    return rows


def build_seconds(count: int, repeat: int) -> float:
    rows = outcomes(count)
    schedule = Schedule("daily", "09:00", "UTC")
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        compared = compare_all(rows, OUTPUTS)
        digest = build(rows, OUTPUTS, ["company_name", "website"], compared=compared)
        csv_text(rows, OUTPUTS, ["company_name", "website"], compared)
        digest_message(_Watch(schedule), digest, late=None, scheduled=0.0)
        best = min(best, time.perf_counter() - started)
    return best


class _Watch:
    """What digest_message reads of a watch."""

    def __init__(self, schedule: Schedule) -> None:
        self.schedule = schedule
        self.grid_name = GRID


def bench_digest(args) -> dict:
    small = build_seconds(100, 20)
    big = build_seconds(args.digest_rows, 3)
    return {
        "rows": args.digest_rows,
        "build_ms": round(big * 1000, 1),
        "baseline_100_rows_ms": round(small * 1000, 2),
        "per_row_vs_baseline": round((big / args.digest_rows) / (small / 100), 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--watches", type=int, default=100)
    parser.add_argument("--rows", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=90.0, help="the storm's window")
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--time-scale", type=float, default=1.0)
    parser.add_argument("--digest-rows", type=int, default=10_000)
    parser.add_argument("--out", default="")
    args = parser.parse_args()
    if args.quick:
        args.watches, args.rows, args.seconds, args.digest_rows = 5, 5, 12.0, 500
        args.time_scale = 20.0
    results = {"digest": bench_digest(args), "storm": bench_storm(args),
               "machine": "a shared 2-core machine: compare ratios, not absolute numbers"}
    print(json.dumps(results, indent=2))
    if args.out:
        Path(args.out).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
