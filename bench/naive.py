"""A client that behaves like the public MCP `run_grid` tool: for each run, one sync POST
with a 135 s timeout, then a status poll every 2 s until it finishes. No pacing, no retry:
an error (a 429 included) is the run's end, as the tool raises it to its caller."""

from __future__ import annotations

import statistics
import threading
import time

import httpx

from bot.playground.simulators.bitscale import Simulator


def run_naive(sim: Simulator, durations: list[float]) -> dict:
    finished: dict[str, float] = {}
    failures = []
    lock = threading.Lock()
    gid = sim.grid_named("Load Test").id
    began = time.monotonic()

    def one(i: int, seconds: float) -> None:
        name = f"naive-{i}"
        headers = {"X-API-KEY": sim.api_key}
        with httpx.Client(base_url=sim.url + "/", headers=headers) as http:
            try:
                answer = http.post(
                    f"grids/{gid}/run",
                    timeout=135,
                    json={
                        "mode": "sync",
                        "inputs": {"company_name": name, "duration_seconds": f"{seconds:.2f}"},
                    },
                )
                answer.raise_for_status()
                data = answer.json()
                while data.get("status") == "running":
                    time.sleep(2)
                    poll = http.get(f"run/status/{data['request_id']}", timeout=30)
                    poll.raise_for_status()
                    data = {**poll.json(), "request_id": data["request_id"]}
            except httpx.HTTPError as exc:
                with lock:
                    failures.append(type(exc).__name__)
                return
        with lock:
            finished[name] = time.monotonic()

    threads = [threading.Thread(target=one, args=(i, d)) for i, d in enumerate(durations)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    done = {r.inputs["company_name"]: r.started + r.duration for r in sim.runs_for("Load Test")}
    lags = [finished[n] - done[n] for n in finished if n in done]
    elapsed = (max(finished.values()) - began) if finished else None
    return {
        "runs": len(durations),
        "finished": len(finished),
        "failed": len(failures),
        "seconds": round(elapsed, 1) if elapsed else None,
        "runs_per_second": round(len(finished) / elapsed, 2) if elapsed else 0.0,
        "http_429": sim.count(status=429),
        "max_requests_in_1s": sim.max_in_window(1.0),
        "result_latency_p50_ms": round(statistics.median(lags) * 1000, 1) if lags else None,
    }
