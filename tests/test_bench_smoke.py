"""The benchmark runs end to end on a tiny workload (numbers are not checked here)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path


def test_bench_runs_on_a_tiny_workload(tmp_path):
    out = tmp_path / "bench.json"
    root = Path(__file__).parents[1]
    done = subprocess.run(
        [sys.executable, "bench/run.py", "--quick", "--out", str(out)],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Ack p50/p95/p99, closed loop" in done.stdout
    results = json.loads(out.read_text())
    assert results["throughput"]["finished"] == results["throughput"]["runs"]
    assert results["ack"]["closed_loop"]["non_200"] == 0
    assert results["ack"]["paced_10_per_sender"]["non_200"] == 0
    assert set(results) >= {
        "ack",
        "modal",
        "result_latency",
        "throughput",
        "naive",
        "bot_vs_naive",
        "machine",
    }
