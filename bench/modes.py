"""Submission modes side by side: the 300-run flood with BITSCALE_RUN_MODE auto, sync and
async, on two workloads.

    .venv/bin/python bench/modes.py                  # 2 workloads x 3 modes, ~15 minutes
    .venv/bin/python bench/modes.py --workload mixed --mode auto
    .venv/bin/python bench/modes.py --quick          # 20 short runs each, a smoke run

Workloads (one grid, "Load Test", whose run length is an input): `mixed` is the flood of
bench/run.py (300 runs of 5–60 s, as real enrichment grids take); `short` is 300 runs of
2–8 s (lookups) on a grid run five times before, so auto knows it; `steady` is 300 runs of
20–30 s (too long for sync in auto) on a grid run five times before (at once), so the first
poll of each run is timed from the learned duration. Everything runs on real
time against the simulator (150 ms per answer, BitScale's 120 s sync window, 5
requests/s). For each: runs/s, requests per run, the share of the 5 req/s ceiling used,
result latency (done at BitScale → reply in Slack), and exposure: the share of
run-seconds BitScale had a run while the bot held no request id for it (what a SIGKILL at
a random moment would cost).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.run import Env, ms, pct  # noqa: E402
from bot.playground.rigs.deploys import exposure  # noqa: E402
from bot.playground.slack.form_fill import form_values  # noqa: E402
from bot.playground.slack.records import wait_for  # noqa: E402
from bot.store.database import Store  # noqa: E402

WORKLOADS = {"mixed": (5.0, 60.0), "short": (2.0, 8.0), "steady": (20.0, 30.0)}
WARM_RUNS = 5  # `short` is a grid the team has run before: this many runs, one at a time
MODES = ("auto", "sync", "async")


def durations(workload: str, count: int, quick: bool) -> list[float]:
    low, high = (0.5, 2.0) if quick else WORKLOADS[workload]
    rng = random.Random(7)
    return [rng.uniform(low, high) for _ in range(count)]


def flood(
    mode: str, runs: list[float], latency: float, warm: list[float], warm_at_once: bool = False
) -> dict:
    env = Env(latency, {"BITSCALE_RUN_MODE": mode})
    try:
        view, _, _ = env.open_form("Load Test")
        for i, seconds in enumerate(warm):  # earlier runs, one at a time (or all at once)
            name = f"warm-{i}"
            copy = {**view, "id": f"{view['id']}-w{i}"}
            env.driver.submit(
                copy, form_values(copy, {"company_name": name, "duration_seconds": f"{seconds}"})
            )
            if not warm_at_once:
                wait_for(lambda name=name: _replied(env, name), timeout=120)
        for i in range(len(warm) if warm_at_once else 0):
            wait_for(lambda i=i: _replied(env, f"warm-{i}"), timeout=120)
        before = env.sim.count()
        began = time.monotonic()
        sent = env.submit_runs(view, runs)
        while len(env.results) < len(runs) and time.monotonic() - began < 1200:
            time.sleep(0.5)
        elapsed = max(env.results.values()) - began
        requests = env.sim.count() - before
        done = env.completions()
        lags = [env.results[n] - done[n] for n in env.results if n in done]
        waits = [env.results[n] - sent[n] for n in env.results if n in sent]  # submit → result
        stored = {r.inputs.get("company_name"): r for r in Store(env.bot_db).all_runs()}
        sims = {r.inputs.get("company_name"): r for r in env.sim.runs_for("Load Test")}
        exposed = []
        for name, sim in sims.items():
            seconds = exposure(stored[name], sim.started_wall)
            exposed.append((sim.duration if seconds is None else seconds, sim.duration, name))
        modes = [r.mode for r in stored.values()]
        return {
            "mode": mode,
            "runs": len(runs),
            "finished": len(env.results),
            "seconds": round(elapsed, 1),
            "runs_per_second": round(len(env.results) / elapsed, 2),
            "requests_per_run": round(requests / max(1, len(env.results)), 2),
            "ceiling_share": round(requests / elapsed / 5, 2),
            "http_429": env.sim.count(status=429),
            "result_latency_p50_ms": ms(pct(lags, 50)),
            "result_latency_p95_ms": ms(pct(lags, 95)),
            "wait_p50_ms": ms(pct(waits, 50)),
            "wait_p95_ms": ms(pct(waits, 95)),
            "sent_sync": modes.count("sync"),
            "sent_async": modes.count("async"),
            "exposed_share": round(
                sum(e for e, _, _ in exposed) / sum(d for _, d, _ in exposed), 4
            ),
            "exposure_p50_ms": ms(pct([e for e, _, _ in exposed], 50)),
            "exposure_max_ms": ms(max(e for e, _, _ in exposed)),
        }
    finally:
        env.close()


def _replied(env: Env, name: str) -> bool:
    return any(name in json.dumps(m.blocks) for m in env.slack.posts() if m.thread_ts)


def table(rows: list[dict]) -> str:
    head = (
        f"{'workload':<8} {'mode':<5} {'runs/s':>6} {'req/run':>7} {'of 5/s':>6} "
        f"{'latency p50/p95':>17} {'sync/async':>10} {'exposed':>8} {'exposure p50':>12}"
    )
    lines = [head, "-" * len(head)]
    for r in rows:
        lines.append(
            f"{r['workload']:<8} {r['mode']:<5} {r['runs_per_second']:>6} "
            f"{r['requests_per_run']:>7} {r['ceiling_share']:>6.0%} "
            f"{_s(r['result_latency_p50_ms'])} / {_s(r['result_latency_p95_ms']):<6} "
            f"{r['sent_sync']:>4}/{r['sent_async']:<5} {r['exposed_share']:>8.1%} "
            f"{_ms(r['exposure_p50_ms']):>12}"
        )
    return "\n".join(lines)


def _ms(value_ms: float | None) -> str:
    return "—" if value_ms is None else f"{value_ms:.0f} ms"


def _s(value_ms: float | None) -> str:
    return "—" if value_ms is None else f"{value_ms / 1000:.2f}s"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workload", choices=sorted(WORKLOADS), action="append")
    parser.add_argument("--mode", choices=MODES, action="append")
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--latency", type=float, default=0.15)
    parser.add_argument("--quick", action="store_true", help="20 runs of 0.5-2 s each")
    parser.add_argument("--out", default="bench/results/modes.json")
    args = parser.parse_args(argv)
    count = 20 if args.quick else args.runs
    rows = []
    for workload in args.workload or sorted(WORKLOADS):
        for mode in args.mode or MODES:
            print(f"running {workload} / {mode}…", file=sys.stderr, flush=True)
            warm = [5.0] * WARM_RUNS if workload == "short" and not args.quick else []
            if workload == "steady" and not args.quick:
                warm = [25.0] * WARM_RUNS
            runs = durations(workload, count, args.quick)
            result = flood(mode, runs, args.latency, warm, warm_at_once=workload == "steady")
            rows.append({"workload": workload, **result})
            print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    print(table(rows))
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(rows, indent=2))
    print(f"\nwritten to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
