"""Benchmarks: ack latency, modal open, result latency, throughput against the 5 req/s
ceiling, footprint, and a naive MCP-style client side by side.

    python bench/run.py            # the full run (about 6 minutes), prints a table
    python bench/run.py --quick    # a tiny workload, for a smoke test
    python bench/run.py --only modes --only naive   # the flood in auto, sync and async

Everything goes over real loopback HTTP: the bot runs as its own process in HTTP mode,
the BitScale simulator answers with a per-request latency (150 ms by default), and the
Slack stand-in timestamps each call. Results are printed and written as JSON.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import random
import re
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.load import sender_process  # noqa: E402
from bench.naive import run_naive  # noqa: E402
from bot.playground.rigs.bot_process import BotProcess  # noqa: E402
from bot.playground.rigs.stack import SIGNING_SECRET
from bot.playground.simulators.bitscale import Simulator  # noqa: E402
from bot.playground.slack.driver import SlackDriver
from bot.playground.slack.form_fill import form_values  # noqa: E402
from bot.playground.slack.records import (
    is_run_form,  # noqa: E402
    wait_for,  # noqa: E402
)
from bot.playground.slack.standin import SlackStandIn

ECHO = re.compile(r"\*Echo\*\\n(run-\d+)")


def pct(values: list[float], p: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def ms(value: float | None) -> float | None:
    return None if value is None else round(value * 1000, 1)


class Env:
    """A fresh simulator, Slack stand-in and bot process."""

    def __init__(self, latency: float, extra_env: dict[str, str] | None = None) -> None:
        self.tmp = tempfile.TemporaryDirectory(prefix="bench-")
        self.bot_db = Path(self.tmp.name) / "bot.db"
        self.sim = Simulator("bench-key", latency=latency).start()
        self.slack = SlackStandIn().start()
        self.results: dict[str, float] = {}  # run name → when its reply reached Slack
        self.form_shown: dict[str, float] = {}  # view id → when the run form appeared
        self.slack.on_event(self._on_event)
        started = time.monotonic()
        self.bot = BotProcess(
            slack_api_url=self.slack.api_url,
            bitscale_url=self.sim.url,
            bitscale_key=self.sim.api_key,
            db_path=self.bot_db,
            extra_env=extra_env,
        ).start()
        self.startup_seconds = time.monotonic() - started
        self.driver = SlackDriver(self.bot.url, SIGNING_SECRET, self.slack)

    def _on_event(self, kind: str, item) -> None:
        if kind == "view" and item.get("callback_id") == "run_view":
            self.form_shown.setdefault(item["id"], time.monotonic())
        if kind == "message" and item.thread_ts:
            found = ECHO.search(json.dumps(item.blocks))
            if found:
                self.results.setdefault(found.group(1), item.at)

    def open_form(self, grid: str) -> tuple[dict, float, float]:
        """(form view, seconds to views.open, seconds until the form is shown)."""
        before = len(self.slack.view_log)
        sent = time.monotonic()
        _, trigger, _ = self.driver.command(f"run {grid}")
        view = wait_for(lambda: self.slack.latest_view(before, is_run_form), 30)
        opened = next(
            c.at for c in self.slack.calls_to("views.open") if c.args.get("trigger_id") == trigger
        )
        return view, opened - sent, self.form_shown[view["id"]] - sent

    def submit_runs(self, view: dict, durations: list[float]) -> dict[str, float]:
        """Submit one run per duration (each a distinct modal); return name → submit time."""
        sent = {}
        for i, seconds in enumerate(durations):
            name = f"run-{i}"
            copy = {**view, "id": f"{view['id']}-{i}"}
            values = form_values(copy, {"company_name": name, "duration_seconds": f"{seconds:.2f}"})
            sent[name] = time.monotonic()
            answer = self.driver.submit(copy, values)
            assert answer.status_code == 200, answer.text
        return sent

    def completions(self) -> dict[str, float]:
        """Run name → when the simulator finished it."""
        return {
            r.inputs.get("company_name"): r.started + r.duration
            for r in self.sim.runs_for("Load Test")
        }

    def close(self) -> None:
        self.bot.kill()
        self.driver.close()
        self.slack.stop()
        self.sim.stop()
        self.tmp.cleanup()


def proc_stats(pid: int) -> dict[str, float]:
    status = Path(f"/proc/{pid}/status").read_text()
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return {
        "rss_mb": int(fields["VmRSS"].split()[0]) / 1024,
        "peak_rss_mb": int(fields["VmHWM"].split()[0]) / 1024,
        "cpu_seconds": (int(stat[11]) + int(stat[12])) / ticks,
        "threads": int(fields["Threads"]),
    }


# --- 1. ack latency -------------------------------------------------------------------------


def bench_ack(cfg) -> dict:
    """Closed loop (20 senders as fast as the bot answers: the machine saturates) and
    paced (the same senders at 10 requests/s each: a very busy workspace)."""
    env = Env(cfg.latency)
    try:
        view, _, _ = env.open_form("Person Lookup")
        out = {}
        for mode, interval in (("closed_loop", 0.0), ("paced_10_per_sender", 0.1)):
            cpu_before = proc_stats(env.bot.pid)["cpu_seconds"]
            out[mode] = _ack_round(env, view, cfg, interval)
            cpu = proc_stats(env.bot.pid)["cpu_seconds"] - cpu_before
            out[mode]["bot_cpu_ms_per_request"] = round(cpu * 1000 / out[mode]["requests"], 2)
        return out
    finally:
        env.close()


def _ack_round(env: Env, view: dict, cfg, interval: float) -> dict:
    workers = max(1, min(4, cfg.senders // 5))
    jobs = [
        {
            "url": env.bot.url,
            "secret": SIGNING_SECRET,
            "seconds": cfg.ack_seconds,
            "interval": interval,
            "threads": cfg.senders // workers,
            "view": view,
            "worker": w,
            "response_url": env.slack.response_url(),
        }
        for w in range(workers)
    ]
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(workers) as pool:
        parts = pool.map(sender_process, jobs)
    commands = [x for p in parts for x in p["latencies"]["command"]]
    submissions = [x for p in parts for x in p["latencies"]["view_submission"]]
    every = commands + submissions
    return {
        "senders": cfg.senders,
        "sender_processes": workers,
        "seconds": cfg.ack_seconds,
        "requests": len(every),
        "requests_per_second": round(len(every) / cfg.ack_seconds),
        "non_200": sum(p["non_200"] for p in parts),
        "p50_ms": ms(pct(every, 50)),
        "p95_ms": ms(pct(every, 95)),
        "p99_ms": ms(pct(every, 99)),
        "max_ms": ms(max(every)),
        "command_p99_ms": ms(pct(commands, 99)),
        "submission_p99_ms": ms(pct(submissions, 99)),
    }


# --- 2. modal open --------------------------------------------------------------------------


def bench_modal(cfg) -> dict:
    env = Env(cfg.latency)
    try:
        grids = [
            "Company Enrichment",
            "Person Lookup",
            "Account Scoring",
            "Hiring Signals",
            "Funding Rounds",
        ][: cfg.modal_grids]
        # One open at a time, as a person works: back to back, six cold opens would
        # measure BitScale's 5 requests/s instead of the bot.
        cold, warm = [], []
        for grid in grids:
            cold.append(env.open_form(grid))
            time.sleep(cfg.modal_pause)
        for grid in grids:
            warm.append(env.open_form(grid))
        return {
            "grids": len(grids),
            "cold_views_open_ms": ms(max(c[1] for c in cold)),
            "cold_form_shown_p50_ms": ms(statistics.median(c[2] for c in cold)),
            "cold_form_shown_max_ms": ms(max(c[2] for c in cold)),
            "warm_form_shown_p50_ms": ms(statistics.median(w[2] for w in warm)),
            "warm_form_shown_max_ms": ms(max(w[2] for w in warm)),
            "startup_seconds": round(env.startup_seconds, 2),
        }
    finally:
        env.close()


# --- 3. result latency ----------------------------------------------------------------------


def bench_result_latency(cfg) -> dict:
    out = {}
    for in_flight in cfg.in_flight:
        env = Env(cfg.latency)
        try:
            view, _, _ = env.open_form("Load Test")
            env.submit_runs(view, [cfg.short_run] * in_flight)
            results, wanted = env.results, in_flight
            wait_for(lambda: len(results) >= wanted, timeout=300, interval=0.2)  # noqa: B023
            done = env.completions()
            lags = [env.results[name] - done[name] for name in env.results]
            out[str(in_flight)] = {
                "p50_ms": ms(pct(lags, 50)),
                "p95_ms": ms(pct(lags, 95)),
                "max_ms": ms(max(lags)),
            }
        finally:
            env.close()
    return out


# --- 4 and 5. throughput, footprint ---------------------------------------------------------


def workload(cfg) -> list[float]:
    rng = random.Random(7)
    return [rng.uniform(cfg.min_duration, cfg.max_duration) for _ in range(cfg.flood)]


def peak_rate(times: list[float], window: float) -> float:
    """The most runs finished in any `window` seconds, per second."""
    best, lo = 0, 0
    for hi, t in enumerate(times):
        while t - times[lo] > window:
            lo += 1
        best = max(best, hi - lo + 1)
    return round(best / window, 2)


def started_rate(env: Env) -> float:
    """How fast runs reached BitScale: the share of the rate budget turned into runs."""
    starts = sorted(r.started for r in env.sim.runs_for("Load Test"))
    return round((len(starts) - 1) / (starts[-1] - starts[0]), 2) if len(starts) > 1 else 0.0


def best_possible(durations: list[float]) -> float:
    """Runs/s of a perfect client: one request per run at exactly 5/s, in the same order."""
    last = max(i / 5 + d for i, d in enumerate(durations))
    return len(durations) / last


def bench_throughput(cfg) -> dict:
    extra = {"SUBMIT_CONCURRENCY": str(cfg.submit_concurrency)} if cfg.submit_concurrency else {}
    if cfg.run_mode:
        extra["BITSCALE_RUN_MODE"] = cfg.run_mode
    env = Env(cfg.latency, extra)
    try:
        idle = proc_stats(env.bot.pid)
        view, _, _ = env.open_form("Load Test")
        cpu_before = proc_stats(env.bot.pid)["cpu_seconds"]
        durations = workload(cfg)
        requests_before = env.sim.count()
        began = time.monotonic()
        sent = env.submit_runs(view, durations)
        samples: list[dict] = []
        modal = {}

        def probe_modal() -> None:  # a rep opens a modal in the middle of the flood
            time.sleep(min(5.0, cfg.max_duration / 2))
            _, opened, shown = env.open_form("Person Lookup")
            modal.update(views_open_ms=ms(opened), form_shown_ms=ms(shown))

        prober = threading.Thread(target=probe_modal)
        prober.start()
        while len(env.results) < len(durations) and time.monotonic() - began < 900:
            samples.append(proc_stats(env.bot.pid))
            time.sleep(0.5)
        prober.join()
        elapsed = max(env.results.values()) - began
        stats = proc_stats(env.bot.pid)
        done = env.completions()
        lags = [env.results[n] - done[n] for n in env.results if n in done]
        waits = [env.results[n] - sent[n] for n in env.results if n in sent]  # submit → result
        requests = env.sim.count() - requests_before
        finish_times = sorted(env.results.values())
        return {
            "runs": len(durations),
            "finished": len(env.results),
            "seconds": round(elapsed, 1),
            "runs_per_second": round(len(env.results) / elapsed, 2),
            "ceiling_share": round(len(env.results) / elapsed / 5, 2),
            "started_per_second": started_rate(env),
            "started_ceiling_share": round(started_rate(env) / 5, 2),
            "peak_runs_per_second_10s": peak_rate(finish_times, 10.0),
            "peak_ceiling_share": round(peak_rate(finish_times, 10.0) / 5, 2),
            "best_possible_runs_per_second": round(best_possible(durations), 2),
            # the ceiling this mode allows: a perfect client's runs/s on the same workload
            "best_possible_share": round(len(env.results) / elapsed / best_possible(durations), 2),
            "requests_per_run": round(requests / max(1, len(env.results)), 2),
            "max_requests_in_1s": env.sim.max_in_window(1.0),
            "http_429": env.sim.count(status=429),
            "result_latency_p50_ms": ms(pct(lags, 50)),
            "result_latency_p95_ms": ms(pct(lags, 95)),
            "wait_p50_ms": ms(pct(waits, 50)),
            "wait_p95_ms": ms(pct(waits, 95)),
            "bitscale_runs": len(env.sim.runs_for("Load Test")),
            "sent_sync": sum(r.mode == "sync" for r in env.sim.runs_for("Load Test")),
            "modal_during_flood": modal,
            "footprint": {
                "idle_rss_mb": round(idle["rss_mb"], 1),
                "peak_rss_mb": round(stats["peak_rss_mb"], 1),
                "cpu_seconds": round(stats["cpu_seconds"] - cpu_before, 1),
                "max_threads": max(s["threads"] for s in samples) if samples else None,
                "startup_seconds": round(env.startup_seconds, 2),
            },
        }
    finally:
        env.close()


def bench_modes(cfg) -> dict:
    """The same flood with BITSCALE_RUN_MODE auto (the default), sync and async, one after
    another in this run: what each rep waits, and what it costs the bot."""
    keep = (
        "seconds", "ceiling_share", "best_possible_share", "requests_per_run", "http_429",
        "result_latency_p50_ms", "result_latency_p95_ms", "wait_p50_ms", "wait_p95_ms",
        "started_per_second", "peak_ceiling_share", "sent_sync", "modal_during_flood",
    )  # fmt: skip
    summary = {}
    for mode in ("auto", "sync", "async"):
        print(f"  flood in {mode} mode…", file=sys.stderr, flush=True)
        t = bench_throughput(argparse.Namespace(**{**vars(cfg), "run_mode": mode}))
        summary[mode] = {k: t[k] for k in keep} | {
            "max_threads": t["footprint"]["max_threads"],
            "peak_rss_mb": t["footprint"]["peak_rss_mb"],
        }
    return summary


# --- 6. the naive client --------------------------------------------------------------------


def bench_naive(cfg) -> dict:
    sim = Simulator("naive-key", latency=cfg.latency).start()
    try:
        return run_naive(sim, workload(cfg))
    finally:
        sim.stop()


def table(results: dict) -> str:
    a, m, r, t, n = (results[k] for k in ("ack", "modal", "result_latency", "throughput", "naive"))
    f = t["footprint"]
    c, q = a["closed_loop"], a["paced_10_per_sender"]
    rows = [
        (
            f"Ack p50/p95/p99, closed loop ({c['requests_per_second']} req/s)",
            f"{c['p50_ms']} / {c['p95_ms']} / {c['p99_ms']} ms",
            "p99 < 100 ms",
        ),
        (
            f"Ack p50/p95/p99, paced ({q['requests_per_second']} req/s)",
            f"{q['p50_ms']} / {q['p95_ms']} / {q['p99_ms']} ms",
            "p99 < 100 ms",
        ),
        ("Bot CPU per request (closed loop)", f"{c['bot_cpu_ms_per_request']} ms", ""),
        (
            "Modal open, cold: views.open / form shown",
            f"{m['cold_views_open_ms']} / {m['cold_form_shown_max_ms']} ms (max)",
            "< 1 s",
        ),
        ("Modal open, warm: form shown", f"{m['warm_form_shown_max_ms']} ms (max)", "< 100 ms"),
        *[
            (
                f"Result latency, {k} in flight p50 / p95",
                f"{v['p50_ms']} / {v['p95_ms']} ms",
                "p95 < 3 s at 20",
            )
            for k, v in r.items()
        ],
        (
            "Runs started per second (share of 5/s)",
            f"{t['started_per_second']} ({t['started_ceiling_share']:.0%})",
            "≥ 80%",
        ),
        (
            "Runs finished per second, busiest 10 s",
            f"{t['peak_runs_per_second_10s']} ({t['peak_ceiling_share']:.0%})",
            "≥ 80%",
        ),
        (
            "Throughput, whole flood (runs/s; a perfect client)",
            f"{t['runs_per_second']}; {t['best_possible_runs_per_second']}",
            "",
        ),
        (
            "Flood: result after BitScale finished p50 / p95",
            f"{t['result_latency_p50_ms']} / {t['result_latency_p95_ms']} ms",
            "p95 < 5 s",
        ),
        (
            "Flood: a rep's wait, submit to result p50 / p95",
            f"{t['wait_p50_ms']} / {t['wait_p95_ms']} ms",
            "",
        ),
        ("Requests per run", str(t["requests_per_run"]), "1 is ideal"),
        (
            "Most requests in any 1 s / 429s",
            f"{t['max_requests_in_1s']} / {t['http_429']}",
            "≤ 5 / 0",
        ),
        (
            "Modal during flood: views.open / form shown",
            f"{t['modal_during_flood'].get('views_open_ms')} / "
            f"{t['modal_during_flood'].get('form_shown_ms')} ms",
            "< 1 s",
        ),
        ("Peak RSS / idle RSS", f"{f['peak_rss_mb']} / {f['idle_rss_mb']} MB", "< 150 MB"),
        ("CPU seconds during flood", str(f["cpu_seconds"]), ""),
        ("Start-up", f"{f['startup_seconds']} s", "< 2 s"),
        (
            "Naive client: runs/s, 429s, failed runs",
            f"{n['runs_per_second']}, {n['http_429']}, {n['failed']}",
            "",
        ),
        (
            "Bot / naive: throughput, latency p50",
            f"{_ratio(t['runs_per_second'], n['runs_per_second'])}×, "
            f"{_ratio(t['result_latency_p50_ms'], n['result_latency_p50_ms'])}×",
            "",
        ),
    ]
    width = max(len(r[0]) for r in rows)
    lines = [f"{'measure':<{width}}  {'result':<34} target", "-" * (width + 50)]
    lines += [f"{a_:<{width}}  {b:<34} {c}" for a_, b, c in rows]
    return "\n".join(lines)


def _ratio(a, b) -> str:
    return "—" if not a or not b else f"{a / b:.2f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a tiny workload (smoke test)")
    parser.add_argument("--out", default="bench/results/latest.json")
    parser.add_argument(
        "--latency", type=float, default=0.15, help="seconds the simulator adds to every answer"
    )
    parser.add_argument(
        "--only",
        choices=["ack", "modal", "result_latency", "throughput", "modes", "naive"],
        action="append",
        help="run only these steps (repeatable)",
    )
    parser.add_argument(
        "--run-mode",
        choices=["auto", "sync", "async"],
        help="BITSCALE_RUN_MODE for the bot in the throughput step (default: auto)",
    )
    parser.add_argument(
        "--submit-concurrency",
        type=int,
        help="SUBMIT_CONCURRENCY for the bot in the throughput step",
    )
    args = parser.parse_args(argv)
    cfg = argparse.Namespace(
        latency=args.latency,
        senders=20,
        ack_seconds=30,
        modal_grids=5,
        modal_pause=1.2,
        in_flight=[1, 20, 100],
        short_run=5.0,
        flood=300,
        min_duration=5.0,
        max_duration=60.0,
        submit_concurrency=args.submit_concurrency,
        run_mode=args.run_mode,
    )
    if args.quick:  # the same steps on a tiny workload
        vars(cfg).update(
            latency=0.01,
            senders=4,
            ack_seconds=2,
            modal_grids=2,
            modal_pause=0.0,
            in_flight=[1, 5],
            short_run=0.5,
            flood=15,
            min_duration=0.5,
            max_duration=2.0,
        )
    results = {
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "config": vars(cfg),
    }
    for name, step in [
        ("ack", bench_ack),
        ("modal", bench_modal),
        ("result_latency", bench_result_latency),
        ("throughput", bench_throughput),
        ("modes", bench_modes),
        ("naive", bench_naive),
    ]:
        if name == "modes" and not (args.only and name in args.only):
            continue  # three more floods: only when asked for
        if args.only and name not in args.only:
            continue
        print(f"running {name}…", file=sys.stderr, flush=True)
        results[name] = step(cfg)
    if args.only:
        print(json.dumps({k: results[k] for k in args.only}, indent=2))
        return 0
    t, n = results["throughput"], results["naive"]
    results["bot_vs_naive"] = {
        "throughput_ratio": _ratio(t["runs_per_second"], n["runs_per_second"]),
        "http_429": {"bot": t["http_429"], "naive": n["http_429"]},
        "result_latency_p50_ratio": _ratio(t["result_latency_p50_ms"], n["result_latency_p50_ms"]),
    }
    print(table(results))
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    print(f"\nwritten to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
