"""Several bot processes on PostgreSQL against one on SQLite, in one run.

    python bench/cluster.py            # 300-run flood, 1,000-row batch (about 40 minutes)
    python bench/cluster.py --quick    # a tiny workload, for a smoke test

Configurations: 1 process on SQLite, then 1, 2 and 3 processes on one PostgreSQL schema
(`BENCH_DATABASE_URL`, default the local server's `test` database). Each gets a fresh
simulator (150 ms an answer, BitScale's 5 requests/s) and Slack stand-in, and measures:
the flood (runs/s, requests per run, share of the 5/s ceiling, 429s, result latency after
BitScale finished, the form's latency during the flood, database connections used), the
batch (rows/s and the same shares), failover after a SIGKILL (multi-process only: seconds
until every run the dead process was following is polled by another) and the ack p99 of
20 closed-loop senders spread over the processes. Prints a table and writes JSON.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import random
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import psycopg  # noqa: E402

from bench.load import sender_process  # noqa: E402
from bench.run import ECHO, ms, pct  # noqa: E402
from bot.playground.rigs.cluster_rig import ClusterRig  # noqa: E402
from bot.playground.rigs.stack import SIGNING_SECRET  # noqa: E402
from bot.playground.slack.form_fill import form_values  # noqa: E402
from bot.playground.slack.records import is_run_form, wait_for  # noqa: E402

SERVER = "postgresql://root@127.0.0.1:5432/test"
CEILING = 5.0  # BitScale's requests a second per workspace


class Bench:
    """One configuration's cluster (SQLite: a one-process 'cluster' on a file)."""

    def __init__(self, kind: str, processes: int, server: str, latency: float) -> None:
        self.tmp = tempfile.TemporaryDirectory(prefix="bench-cluster-")
        self.kind, self.processes, self.server = kind, processes, server
        self.app = f"bench-{uuid.uuid4().hex[:8]}"
        self.schema = None
        url = ""
        if kind == "postgresql":
            self.schema = f"bench_{uuid.uuid4().hex[:10]}"
            self._admin(f'CREATE SCHEMA "{self.schema}"')
            joiner = "&" if "?" in server else "?"
            options = quote(f"-csearch_path={self.schema}")
            url = f"{server}{joiner}options={options}&application_name={self.app}"
        self.rig = ClusterRig(
            Path(self.tmp.name), url, processes=processes, latency=latency, scale_bot_timing=False
        )
        if kind == "sqlite":
            self.rig.env.pop("DATABASE_URL")
            self.rig.database_url = self.rig.reader_url = str(Path(self.tmp.name) / "bot-1.db")
        self.results: dict[str, float] = {}
        self.rig.slack.on_event(self._on_event)
        self.rig.start_cluster()

    def _admin(self, statement: str) -> None:
        with psycopg.connect(self.server, autocommit=True) as connection:
            connection.execute(statement)

    def _on_event(self, kind: str, item) -> None:
        if kind == "message" and item.thread_ts:
            found = ECHO.search(json.dumps(item.blocks))
            if found:
                self.results.setdefault(found.group(1), item.at)

    def connections(self) -> int:
        if self.kind != "postgresql":
            return 0
        with psycopg.connect(self.server) as connection:
            row = connection.execute(
                "SELECT COUNT(*) FROM pg_stat_activity WHERE application_name = %s", [self.app]
            ).fetchone()
        return int(row[0])

    def open_form(self, grid: str, tries: int = 3) -> tuple[dict, float]:
        """The run form, and the seconds it took; asked again when Slack's 3 s trigger
        ran out first (a loaded machine), as a person presses again."""
        for attempt in range(tries):
            driver = self.rig.next_driver()
            before = len(self.rig.slack.view_log)
            sent = time.monotonic()
            driver.command(f"run {grid}")
            try:
                view = wait_for(lambda b=before: self.rig.slack.latest_view(b, is_run_form), 10)
            except TimeoutError:
                if attempt == tries - 1:
                    raise
                continue
            return view, time.monotonic() - sent
        raise AssertionError("unreachable")

    def flood(self, count: int, low: float, high: float, prefix: str = "run") -> dict:
        rng = random.Random(7)
        durations = [rng.uniform(low, high) for _ in range(count)]
        view, _ = self.open_form("Load Test")
        requests_before = self.rig.sim.count()
        began = time.monotonic()
        for i, seconds in enumerate(durations):
            copy = {**view, "id": f"{view['id']}-{prefix}-{i}"}
            inputs = {"company_name": f"{prefix}-{i}", "duration_seconds": f"{seconds:.2f}"}
            driver = self.rig.next_driver()
            assert driver.submit(copy, form_values(copy, inputs)).status_code == 200
        form: list[float] = []
        peak = [0]

        def during() -> None:
            time.sleep(min(5.0, high / 2))
            form.append(self.open_form("Person Lookup")[1])

        probe = threading.Thread(target=during)
        probe.start()
        names = {f"{prefix}-{i}" for i in range(count)}
        deadline = time.monotonic() + 1800
        while not names <= set(self.results) and time.monotonic() < deadline:
            peak[0] = max(peak[0], self.connections())
            time.sleep(0.5)
        probe.join()
        elapsed = max(self.results[n] for n in names) - began
        done = {
            r.inputs.get("company_name"): r.started + r.duration
            for r in self.rig.sim.runs_for("Load Test")
        }
        lags = [self.results[n] - done[n] for n in names if n in done]
        requests = self.rig.sim.count() - requests_before
        starts = sorted(
            r.started
            for r in self.rig.sim.runs_for("Load Test")
            if r.inputs["company_name"] in names
        )
        started_rate = (len(starts) - 1) / (starts[-1] - starts[0]) if len(starts) > 1 else 0.0
        return {
            "runs": count,
            "seconds": round(elapsed, 1),
            "runs_per_second": round(count / elapsed, 2),
            "requests_per_run": round(requests / count, 2),
            "started_ceiling_share": round(started_rate / CEILING, 2),
            "max_requests_in_1s": self.rig.sim.max_in_window(1.0),
            "http_429": self.rig.sim.count(status=429),
            "result_latency_p50_ms": ms(pct(lags, 50)),
            "result_latency_p95_ms": ms(pct(lags, 95)),
            "form_during_flood_ms": ms(form[0]) if form else None,
            "database_connections": peak[0],
        }

    def batch(self, rows: int) -> dict:
        sheet = "company_name,website\n" + "".join(f"Co {i},c{i}.io\n" for i in range(rows))
        requests_before = self.rig.sim.count()
        began = time.monotonic()
        self.rig.next_driver().start_batch(sheet.encode(), grid="Company Enrichment")
        store = self.rig.store

        def finished() -> bool:
            state = store.sql.scalar("SELECT state FROM batches ORDER BY created_at DESC LIMIT 1")
            return state == "done"

        wait_for(finished, timeout=3600, interval=0.5)
        elapsed = time.monotonic() - began
        requests = self.rig.sim.count() - requests_before
        return {
            "rows": rows,
            "seconds": round(elapsed, 1),
            "rows_per_second": round(rows / elapsed, 2),
            "requests_per_row": round(requests / rows, 2),
            "ceiling_share": round(requests / elapsed / CEILING, 2),
            "http_429": self.rig.sim.count(status=429),
        }

    def failover(self, count: int) -> dict:
        """A flood in flight, then SIGKILL one process: seconds until each run it held is
        taken over: polled by another process (at BitScale already) or reported cut off
        (a request of its that may have left: never sent twice)."""
        self.flood_async(count)
        victim = self.rig.bots[0].pid
        held_sql = (  # the failover flood's runs (their inputs name them fo-N)
            "SELECT id, state, request_id FROM runs WHERE owner LIKE :owner "
            "AND state IN ('submitting', 'running') AND inputs LIKE '%fo-%'"
        )
        owner = {"owner": f"%:{victim}:%"}
        wait_for(lambda: len(self.rig.store.sql.query(held_sql, owner)) >= 2, timeout=120)
        held = self.rig.store.sql.query(held_sql, owner)
        killed = time.monotonic()
        self.rig.kill(0)
        done: dict[str, float] = {}
        deadline = killed + 120
        while len(done) < len(held) and time.monotonic() < deadline:
            with self.rig.sim.lock:
                records = [r for r in self.rig.sim.state.records if r.at > killed]
            for run in held:
                if run["id"] in done:
                    continue
                polled = [
                    r.at for r in records if run["request_id"] and run["request_id"] in r.path
                ]
                now = self.rig.store.get_run(run["id"])
                if polled:
                    done[run["id"]] = min(polled)
                elif now is not None and now.state not in ("submitting", "running", "queued"):
                    done[run["id"]] = time.monotonic()
            time.sleep(0.2)
        worst = max((t - killed for t in done.values()), default=None)
        return {
            "killed_pid": victim,
            "runs_held": len(held),
            "taken_over": len(done),
            "failover_seconds": round(worst, 1) if worst is not None else None,
        }

    def flood_async(self, count: int) -> None:
        view, _ = self.open_form("Load Test")
        for i in range(count):
            copy = {**view, "id": f"{view['id']}-fo-{i}"}
            inputs = {"company_name": f"fo-{i}", "duration_seconds": "40"}
            self.rig.next_driver().submit(copy, form_values(copy, inputs))

    def acks(self, senders: int, seconds: float) -> dict:
        view, _ = self.open_form("Person Lookup")
        urls = [b.url for b, on in zip(self.rig.bots, self.rig.in_rotation, strict=True) if on]
        jobs = [
            {
                "url": urls[w % len(urls)],
                "secret": SIGNING_SECRET,
                "seconds": seconds,
                "interval": 0.0,
                "threads": senders // 4,
                "view": view,
                "worker": w,
                "response_url": self.rig.slack.response_url(),
            }
            for w in range(4)
        ]
        with multiprocessing.get_context("spawn").Pool(4) as pool:
            parts = pool.map(sender_process, jobs)
        every = [x for p in parts for kind in p["latencies"].values() for x in kind]
        return {
            "senders": senders,
            "requests": len(every),
            "non_200": sum(p["non_200"] for p in parts),
            "p50_ms": ms(pct(every, 50)),
            "p99_ms": ms(pct(every, 99)),
        }

    def close(self) -> None:
        self.rig.close()
        if self.schema:
            self._admin(f'DROP SCHEMA "{self.schema}" CASCADE')
        self.tmp.cleanup()


CONFIGS = [("sqlite", 1), ("postgresql", 1), ("postgresql", 2), ("postgresql", 3)]


def run_config(kind: str, processes: int, cfg) -> dict:
    bench = Bench(kind, processes, cfg.server, cfg.latency)
    try:
        out = {
            "flood": bench.flood(cfg.flood, cfg.min_duration, cfg.max_duration),
            "batch": bench.batch(cfg.batch_rows),
        }
        if processes > 1:
            out["failover"] = bench.failover(cfg.failover_runs)
    finally:
        bench.close()
    if processes in (1, 3):  # on a fresh cluster: nothing left over from the flood
        bench = Bench(kind, processes, cfg.server, cfg.latency)
        try:
            out["ack"] = bench.acks(cfg.senders, cfg.ack_seconds)
        finally:
            bench.close()
    return out


def table(results: dict) -> str:
    lines = [
        "| | runs/s | req/run | share of 5/s | 429s | result p50 / p95 | form in flood "
        "| DB conns | batch rows/s | batch share | failover | ack p99 |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, r in results["configs"].items():
        f, b = r["flood"], r["batch"]
        failover = r.get("failover", {}).get("failover_seconds")
        ack = r.get("ack", {}).get("p99_ms")
        lines.append(
            f"| {name} | {f['runs_per_second']} | {f['requests_per_run']} | "
            f"{f['started_ceiling_share']:.0%} | {f['http_429'] + b['http_429']} | "
            f"{f['result_latency_p50_ms']} / {f['result_latency_p95_ms']} ms | "
            f"{f['form_during_flood_ms']} ms | {f['database_connections'] or '–'} | "
            f"{b['rows_per_second']} | {b['ceiling_share']:.0%} | "
            f"{'–' if failover is None else f'{failover} s'} | "
            f"{'–' if ack is None else f'{ack} ms'} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a tiny workload (smoke test)")
    parser.add_argument("--out", default="bench-cluster.json")
    parser.add_argument("--server", default=SERVER, help="PostgreSQL to make schemas in")
    cfg = parser.parse_args(argv)
    cfg.latency = 0.15
    if cfg.quick:
        cfg.flood, cfg.min_duration, cfg.max_duration = 12, 1.0, 3.0
        cfg.batch_rows, cfg.failover_runs, cfg.senders, cfg.ack_seconds = 10, 6, 8, 2.0
    else:
        cfg.flood, cfg.min_duration, cfg.max_duration = 300, 5.0, 60.0
        cfg.batch_rows, cfg.failover_runs, cfg.senders, cfg.ack_seconds = 1000, 30, 20, 10.0
    results = {
        "configs": {f"{kind} × {n}": run_config(kind, n, cfg) for kind, n in CONFIGS},
        "machine": "a shared 2-core machine: compare configurations, not absolute numbers",
    }
    ack = {k: v["ack"]["p99_ms"] for k, v in results["configs"].items() if "ack" in v}
    if "postgresql × 1" in ack and "postgresql × 3" in ack:
        results["ack_p99_3_vs_1"] = round(ack["postgresql × 3"] / ack["postgresql × 1"], 2)
    Path(cfg.out).write_text(json.dumps(results, indent=2))
    print(table(results))
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
