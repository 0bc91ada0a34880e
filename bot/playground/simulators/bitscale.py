"""A BitScale External API stand-in, faithful to the reference.

All seven endpoints under `/api/v1`, `X-API-KEY` auth, 5 requests per second per
workspace (sliding window, across every endpoint) with the documented rate-limit headers,
sync runs that wait up to 120 s, async runs, every documented error code, credits that
runs spend, and key rotation. Tests drive it in-process; `bitscale-bot simulate` serves it.
The endpoints live in bitscale_grids.py and bitscale_runs.py, the state in bitscale_state.py.

Run time is simulated time: with `time_scale=20` a 110 s grid finishes in 5.5 real seconds
and the sync window is still 120 simulated seconds (6 real ones), so the relation between a
grid's duration and BitScale's sync window stays true while tests run fast. The rate limit
(5 requests per real second) is never scaled.
"""

from __future__ import annotations

import json
import logging
import secrets
import threading
import time
from typing import Any
from urllib.parse import unquote, urlsplit

from bot.playground.http import ApiHandler, LoopbackServer, query_params, take_fault
from bot.playground.simulators import bitscale_grids as grids
from bot.playground.simulators.bitscale_runs import run_status, start_run
from bot.playground.simulators.bitscale_state import (
    BASE_PATH,
    DEFAULT_KEY,
    MESSAGES,
    ApiError,
    Fault,
    RequestRecord,
    SimRun,
    SimulatorState,
    error_body,
)
from bot.playground.simulators.demo_grids import demo_grids, timed_grid
from bot.playground.simulators.sim_grid import SimGrid

log = logging.getLogger(__name__)


class _Handler(ApiHandler):
    label = "simulator"


class Simulator(LoopbackServer):
    """Start with `start()`; `url` is the API base to give the client."""

    base_path = BASE_PATH
    thread_name = "bitscale-sim"

    def __init__(
        self,
        api_key: str = DEFAULT_KEY,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        rate_limit: int = 5,
        sync_wait: float = 120.0,
        latency: float = 0.0,
        time_scale: float = 1.0,
        credits_remaining: int | None = None,
    ) -> None:
        self.state = SimulatorState(
            api_key=api_key,
            rate_limit=rate_limit,
            sync_wait=sync_wait,
            latency=latency,
            time_scale=time_scale,
        )
        for grid in demo_grids():
            self.state.grids[grid.id] = grid
        self.lock = threading.RLock()
        if credits_remaining is not None:
            self.set_credits_remaining(credits_remaining)
        self._stopping = threading.Event()
        super().__init__(_Handler, host, port)

    # --- lifecycle ----------------------------------------------------------------------

    @property
    def api_key(self) -> str:
        return self.state.api_key

    def serve_forever(self) -> None:
        self.server.serve_forever()

    def stop(self) -> None:
        self._stopping.set()
        super().stop()

    # --- knobs for tests ----------------------------------------------------------------

    def inject(self, **kwargs: Any) -> Fault:
        fault = Fault(**kwargs)
        with self.lock:
            self.state.faults.append(fault)
        return fault

    def grid_named(self, name: str) -> SimGrid:
        return next(g for g in self.state.grids.values() if g.name == name)

    def add_grid(self, grid: SimGrid) -> SimGrid:
        """One more grid in the workspace (demo_grids.linkedin_grid(), for instance)."""
        with self.lock:
            self.state.grids[grid.id] = grid
        return grid

    def add_timed_grid(self, name: str, seconds: float) -> SimGrid:
        """A grid whose every run takes `seconds` (simulated), for deploy tests and bench."""
        grid = timed_grid(name, seconds)
        with self.lock:
            self.state.grids[grid.id] = grid
        return grid

    def change_outputs(
        self, grid_name: str, where: dict[str, Any], values: dict[str, Any]
    ) -> None:
        """From now on, runs of `grid_name` whose inputs include `where` answer `values`
        for those outputs (the rest as before): the world changed between two firings."""
        grid = self.grid_named(grid_name)
        with self.lock:
            grid.changed.append((dict(where), dict(values)))

    def set_credits_remaining(self, remaining: int) -> None:
        with self.lock:
            self.state.credits_used = max(0, self.state.credits_total - remaining)

    def set_searches_remaining(self, remaining: int) -> None:
        with self.lock:
            self.state.searches_used = max(0, self.state.searches_limit - remaining)

    @property
    def credits_remaining(self) -> int:
        return max(0, self.state.credits_total - self.state.credits_used)

    @property
    def run_count(self) -> int:
        return len(self.state.runs)

    def runs_for(self, grid_name: str) -> list[SimRun]:
        return [r for r in self.state.runs.values() if r.grid.name == grid_name]

    def count(self, status: int | None = None, path_contains: str = "") -> int:
        with self.lock:
            return sum(
                1
                for r in self.state.records
                if (status is None or r.status == status) and path_contains in r.path
            )

    def max_in_window(self, seconds: float = 1.0) -> int:
        """The most accepted (non-429, authenticated) requests that arrived in any window."""
        with self.lock:
            times = sorted(r.at for r in self.state.records if r.status not in (401, 429))
        best, lo = 0, 0
        for hi, t in enumerate(times):
            while t - times[lo] >= seconds:
                lo += 1
            best = max(best, hi - lo + 1)
        return best

    # --- request handling ---------------------------------------------------------------

    def answer(
        self, method: str, raw_path: str, headers: dict[str, str], body: bytes, ip: str
    ) -> tuple[int, dict[str, str], bytes]:
        return self.handle(method, raw_path, headers, body)

    def handle(
        self, method: str, raw_path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        if self.state.latency:
            time.sleep(self.state.latency)  # the network and BitScale's own work
        now = time.monotonic()  # arrival, as BitScale's rate limiter sees it
        parts = urlsplit(raw_path)
        path = parts.path
        query = query_params(parts.query)
        if not path.startswith(BASE_PATH + "/"):
            return self._finish(
                now, method, path, 404, {}, error_body("NOT_FOUND", "No such endpoint.")
            )
        route = path[len(BASE_PATH) :]
        if headers.get("x-api-key", "") != self.state.api_key:
            return self._finish(
                now,
                method,
                route,
                401,
                {},
                error_body("INVALID_API_KEY", MESSAGES["INVALID_API_KEY"]),
            )
        fault = take_fault(self.state.faults, self.lock, lambda f: f.matches(method, route))
        if fault is not None and fault.hang:
            self._stopping.wait(fault.hang)
        if fault is not None and not (fault.passthrough or fault.lose_answer):
            extra = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
            data = (
                fault.raw_body
                if fault.raw_body is not None
                else error_body(fault.code or "INTERNAL_ERROR", fault.message)
            )
            return self._finish(now, method, route, fault.status, extra, data)
        with self.lock:  # count this request in the workspace's 1-second window
            remaining = self.state.window.admit(now, self.state.rate_limit)
        if remaining is None:
            return self._finish(
                now,
                method,
                route,
                429,
                {"Retry-After": "1"},
                error_body("RATE_LIMIT_EXCEEDED", MESSAGES["RATE_LIMIT_EXCEEDED"]),
            )
        try:
            status, payload = self._route(method, route, query, body)
            data = json.dumps(payload).encode()
        except ApiError as err:
            status, data = err.status, error_body(err.code, err.message)
        if fault is not None and fault.lose_answer:  # done, but the answer never arrives
            body = fault.raw_body if fault.raw_body is not None else b""
            return self._finish(now, method, route, fault.status, {}, body)
        return self._finish(
            now, method, route, status, {"X-RateLimit-Remaining": str(remaining)}, data
        )

    def _finish(
        self,
        at: float,
        method: str,
        route: str,
        status: int,
        extra: dict[str, str],
        data: bytes,
    ) -> tuple[int, dict[str, str], bytes]:
        headers = {"X-RateLimit-Limit": str(self.state.rate_limit)}
        with self.lock:
            left = self.state.window.remaining(time.monotonic(), self.state.rate_limit)
        headers.setdefault("X-RateLimit-Remaining", str(left))
        headers.update(extra)
        with self.lock:
            self.state.records.append(RequestRecord(at, method, route, status))
        return status, headers, data

    def _route(
        self, method: str, route: str, query: dict[str, str], body: bytes
    ) -> tuple[int, Any]:
        s = self.state
        segments = [unquote(part) for part in route.strip("/").split("/")]
        match method, segments:
            case "GET", ["workspace"]:
                return 200, grids.workspace(s)
            case "GET", ["grids"]:
                return 200, grids.list_grids(s, query)
            case "GET", ["grids", grid_id]:
                return 200, grids.grid_details(grids.find_grid(s, grid_id))
            case "GET", ["grids", grid_id, "curl"]:
                return 200, grids.curl(grids.find_grid(s, grid_id), query.get("output_columns"))
            case "POST", ["grids", grid_id, "run"]:
                return 200, start_run(s, self.lock, self._stopping, grid_id, body)
            case "GET", ["run", "status", request_id]:
                return 200, run_status(s, request_id)
            case "POST", ["api-key", "rotate"]:
                return 200, self._rotate()
        raise ApiError(404, "NOT_FOUND", "No such endpoint.")

    def _rotate(self) -> dict[str, Any]:
        with self.lock:
            self.state.api_key = "sim-" + secrets.token_urlsafe(18)
            return {"api_key": self.state.api_key}


def serve(
    port: int, api_key: str | None, sync_wait: float, latency: float, time_scale: float = 1.0
) -> None:
    """`bitscale-bot simulate`: serve in the foreground until Ctrl-C."""
    sim = Simulator(
        api_key or DEFAULT_KEY,
        port=port,
        sync_wait=sync_wait,
        latency=latency,
        time_scale=time_scale,
    )
    print(f"BitScale simulator at {sim.url}")
    print(f"API key it accepts: {sim.api_key}")
    print(f"Try: curl -H 'X-API-KEY: {sim.api_key}' {sim.url}/workspace")
    clock = "" if time_scale == 1 else f" on a clock {time_scale:g}x real time"
    print(f"Sync runs are held open up to {sync_wait:g} s before answering 'running'{clock}.")
    print("Press Ctrl-C to stop.", flush=True)
    try:
        sim.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        sim.server.server_close()
