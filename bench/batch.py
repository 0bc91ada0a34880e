"""Batch benchmarks: pacing against BitScale's 5 requests/s, people first, fairness, memory.

    python bench/batch.py                  # 1,000 rows of 5–30 s, fairness, 10,000-row RSS
    python bench/batch.py --quick          # a tiny workload (smoke test)
    python bench/batch.py --only pace      # one step: pace | fair | rss

The bot runs as its own process (HTTP mode); the simulator adds `--latency` to every answer
and runs grids in simulated time (`--time-scale` simulated seconds per real second; the 5
requests/s limit is real time and never scaled). Numbers are printed and written as JSON.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.run import proc_stats  # noqa: E402
from bot.governance.policy import APPROVAL_THRESHOLD  # noqa: E402
from bot.governance.stored_settings import StoredSettings  # noqa: E402
from bot.playground.rigs.bot_process import BotProcess  # noqa: E402
from bot.playground.rigs.stack import SIGNING_SECRET
from bot.playground.simulators.bitscale import Simulator  # noqa: E402
from bot.playground.slack.driver import SlackDriver  # noqa: E402
from bot.playground.slack.records import wait_for  # noqa: E402
from bot.playground.slack.standin import SlackStandIn  # noqa: E402
from bot.store.database import Store  # noqa: E402

RATE = 5.0


class Env:
    def __init__(self, latency: float, time_scale: float, env: dict[str, str]) -> None:
        self.tmp = tempfile.TemporaryDirectory(prefix="bench-batch-")
        self.sim = Simulator("bench-key", latency=latency, time_scale=time_scale).start()
        self.slack = SlackStandIn().start()
        db = Path(self.tmp.name) / "bot.db"
        # Batches over 1,000 rows wait for an admin's approval (bot/governance/policy.py): lift the
        # threshold so the benchmark measures the batch, not the approval.
        settings = StoredSettings(Store(db))
        settings.set(APPROVAL_THRESHOLD, 1_000_000, actor="bench")
        self.bot = BotProcess(
            slack_api_url=self.slack.api_url,
            bitscale_url=self.sim.url,
            bitscale_key=self.sim.api_key,
            db_path=db,
            extra_env={"BATCH_PROGRESS_SECONDS": "5", **env},
        ).start()
        self.driver = SlackDriver(self.bot.url, SIGNING_SECRET, self.slack)
        self.rss_peak = 0.0
        self._watch = True
        threading.Thread(target=self._watch_rss, daemon=True).start()

    def _watch_rss(self) -> None:
        while self._watch:
            try:
                self.rss_peak = max(self.rss_peak, proc_stats(self.bot.pid)["peak_rss_mb"])
            except (OSError, KeyError):
                pass
            time.sleep(0.5)

    def summaries(self) -> list:
        return [m for m in self.slack.posts() if m.thread_ts and m.metadata]

    def parents(self) -> list:
        return self.slack.posts(top_level=True)

    def close(self) -> None:
        self._watch = False
        self.bot.kill()
        self.driver.close()
        self.slack.stop()
        self.sim.stop()
        self.tmp.cleanup()


def leads(rows: int, low: float, high: float, prefix: str, seed: int = 7) -> bytes:
    rnd = random.Random(seed)
    lines = ["company_name,duration_seconds"]
    lines += [f"{prefix} {i},{rnd.uniform(low, high):.1f}" for i in range(rows)]
    return ("\n".join(lines) + "\n").encode()


def run_times(env: Env, prefix: str) -> list[float]:
    """When each of a batch's rows reached BitScale (its POST run), in order."""
    with env.sim.lock:
        return sorted(r.started for r in env.sim.state.runs.values()
                      if str(r.inputs.get("company_name", "")).startswith(prefix))


def form_time(env: Env) -> float:
    """Seconds from `/bitscale run Load Test` to the run form shown."""
    started = time.monotonic()
    env.driver.open_run_form("run Load Test", timeout=30)
    return time.monotonic() - started


def steady(times: list[float], trim: float = 0.1) -> float:
    """Rows per second between the first and last 10 % of a batch's starts."""
    if len(times) < 10:
        return 0.0
    lo, hi = times[int(len(times) * trim)], times[int(len(times) * (1 - trim)) - 1]
    return (int(len(times) * (1 - trim)) - int(len(times) * trim) - 1) / max(1e-9, hi - lo)


def bench_pace(args) -> dict:
    env = Env(args.latency, args.time_scale, {"BATCH_RUN_MODE": args.mode})
    try:
        idle_forms = [form_time(env) for _ in range(3)]
        started = time.monotonic()
        body = leads(args.rows, args.low, args.high, "Lead")
        env.driver.start_batch(body, grid="Load Test", timeout=60)
        wait_for(lambda: env.sim.run_count >= min(args.rows, 50), 120)
        busy_forms = [form_time(env) for _ in range(3)]
        wait_for(lambda: env.summaries(), args.rows * 5 + 120)
        took = time.monotonic() - started
        with env.sim.lock:
            # the batch's requests: its POST runs and its status polls
            spans = [r.at for r in env.sim.state.records if "/run" in r.path and r.status != 429]
        first_at = min(run_times(env, "Lead"))
        spans = [t for t in spans if t >= first_at]
        active = max(spans) - first_at
        per_row = len(spans) / max(1, args.rows)
        rate = args.rows / active  # rows per second over the whole batch
        return {
            "rows": args.rows,
            "mode": args.mode,
            "row_seconds": f"{args.low:g}–{args.high:g} (simulated)",
            "time_scale": args.time_scale,
            "wall_seconds": round(took, 1),
            "rows_per_second": round(rate, 2),
            "requests_per_row": round(per_row, 2),
            "requests_per_second": round(len(spans) / active, 2),
            "share_of_ceiling": round(len(spans) / active / RATE, 3),
            "rows_started_per_second_mid_batch": round(steady(run_times(env, "Lead")), 2),
            "max_requests_in_any_second": env.sim.max_in_window(1.0),
            "http_429": env.sim.count(status=429),
            "bitscale_requests_total": env.sim.count(),
            "form_idle_ms": [round(t * 1000) for t in idle_forms],
            "form_mid_batch_ms": [round(t * 1000) for t in busy_forms],
            "peak_rss_mb": round(env.rss_peak, 1),
        }
    finally:
        env.close()


def bench_fair(args) -> dict:
    env = Env(args.latency, args.time_scale, {"BATCH_RUN_MODE": args.mode})
    try:
        rows = args.fair_rows
        env.driver.start_batch(leads(rows, 5, 30, "First"), grid="Load Test", timeout=60)
        wait_for(lambda: len(run_times(env, "First")) >= 20, 120)
        env.driver.start_batch(leads(rows, 5, 30, "Second", seed=8), grid="Load Test", timeout=60)
        second_at = wait_for(lambda: len(env.parents()) >= 2 and env.parents()[1].at, 60)
        wait_for(lambda: len(env.summaries()) >= 1, rows * 10 + 120)
        both_end = time.monotonic()
        first = [t for t in run_times(env, "First") if second_at <= t <= both_end]
        second = [t for t in run_times(env, "Second") if second_at <= t <= both_end]
        wait_for(lambda: len(env.summaries()) >= 2, rows * 10 + 120)
        delay = min(run_times(env, "Second") or [second_at]) - second_at
        return {
            "rows_each": rows,
            "overlap_seconds": round(both_end - second_at, 1),
            "first_rows_started_while_both_ran": len(first),
            "second_rows_started_while_both_ran": len(second),
            "split": round(len(second) / max(1, len(first) + len(second)), 3),
            "second_first_row_after_seconds": round(delay, 2),
            "http_429": env.sim.count(status=429),
        }
    finally:
        env.close()


def bench_rss(args) -> dict:
    env = Env(args.latency, args.time_scale, {"BATCH_RUN_MODE": "sync"})
    try:
        rows = args.rss_rows
        body = leads(rows, 0, 0, "Big")
        before = proc_stats(env.bot.pid)["rss_mb"]
        started = time.monotonic()
        env.driver.start_batch(body, grid="Load Test", timeout=120)
        prepared = time.monotonic() - started
        wait_for(lambda: env.sim.run_count >= 100, 120)
        time.sleep(args.rss_run_seconds)
        parent = env.parents()[0]
        message = env.slack.message(parent.channel, parent.ts)
        cancel = next(e for b in message.blocks if b["type"] == "actions"
                      for e in b["elements"] if e["action_id"] == "batch_cancel")
        env.driver.click(cancel, message=message)
        wait_for(lambda: [f for f in env.slack.files.values() if f.get("thread_ts")], 300)
        stats = proc_stats(env.bot.pid)
        return {
            "rows": rows,
            "file_mb": round(len(body) / 1e6, 2),
            "upload_to_started_seconds": round(prepared, 1),
            "rows_sent_before_cancel": env.sim.run_count,
            "rss_before_mb": round(before, 1),
            "peak_rss_mb": round(max(env.rss_peak, stats["peak_rss_mb"]), 1),
            "note": f"read, checked, planned, expanded into {rows:,} runs, run for a while, "
            f"cancelled, and the {rows:,}-row enriched file written and uploaded",
        }
    finally:
        env.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", choices=["pace", "fair", "rss"])
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--fair-rows", type=int, default=150)
    parser.add_argument("--rss-rows", type=int, default=10_000)
    parser.add_argument("--rss-run-seconds", type=float, default=20)
    parser.add_argument("--mode", choices=["sync", "async"], default="async")
    parser.add_argument("--low", type=float, default=5, help="shortest row, seconds")
    parser.add_argument("--high", type=float, default=30, help="longest row, seconds")
    parser.add_argument("--latency", type=float, default=0.15)
    parser.add_argument("--time-scale", type=float, default=1.0)
    parser.add_argument("--out", default="bench/batch-results.json")
    args = parser.parse_args()
    if args.quick:
        args.rows, args.fair_rows, args.rss_rows, args.rss_run_seconds = 30, 30, 300, 1
        args.time_scale = 10
    steps = {"pace": bench_pace, "fair": bench_fair, "rss": bench_rss}
    results = {}
    for name, step in steps.items():
        if args.only and name != args.only:
            continue
        print(f"… {name}", flush=True)
        results[name] = step(args)
        print(json.dumps(results[name], indent=2, ensure_ascii=False), flush=True)
    Path(args.out).write_text(json.dumps(results, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
