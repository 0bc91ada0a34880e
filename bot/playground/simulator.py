"""A BitScale External API stand-in, faithful to the reference.

All seven endpoints under `/api/v1`, `X-API-KEY` auth, 5 requests per second per
workspace (sliding window, across every endpoint) with the documented rate-limit headers,
sync runs that wait up to 120 s, async runs, every documented error code, credits that
runs spend, and key rotation. Tests drive it in-process; `bitscale-bot simulate` serves it.

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
import uuid
from collections import deque
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from bot.playground.demo_grids import SimGrid, demo_grids, stable_id, timed_grid
from bot.playground.http import QuietHandler

log = logging.getLogger(__name__)

BASE_PATH = "/api/v1"
DEFAULT_KEY = "sim-demo-key"
FOREIGN_GRID_ID = stable_id("grid", "another workspace's grid")

MESSAGES = {
    "INVALID_API_KEY": "Missing or invalid X-API-KEY header.",
    "RATE_LIMIT_EXCEEDED": "Too many requests. Default limit is 5 req/sec per workspace.",
    "GRID_NOT_FOUND": "No grid found for the provided gridId.",
    "REQUEST_NOT_FOUND": "No run request found for the provided requestId.",
    "MISSING_SOURCE": "Grid has no BitScale API source. Add one in grid settings first.",
    "INTERNAL_ERROR": "An unexpected server error occurred.",
}


@dataclass
class Fault:
    """An injected misbehaviour for the next `times` matching requests."""

    method: str | None = None  # None matches any method
    path_contains: str = ""
    status: int = 500
    code: str | None = "INTERNAL_ERROR"
    message: str = "Injected fault."
    retry_after: int | None = None
    hang: float = 0.0  # seconds to stall before answering
    raw_body: bytes | None = None  # a body to send as is (HTML from a proxy, broken JSON…)
    times: int = 1
    passthrough: bool = False  # after the hang, answer normally

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method == method) and self.path_contains in path


@dataclass
class SimRun:
    request_id: str
    grid: SimGrid
    mode: str
    inputs: dict[str, Any]
    output_columns: list[str] | None
    started: float  # monotonic, when the request arrived
    duration: float  # real seconds the run takes (simulated seconds / time_scale)
    started_wall: float = 0.0  # time.time() at arrival, to compare with other processes

    def status(self, now: float) -> str:
        if now < self.started + self.duration:
            return "running"
        return "failed" if self.grid.fails_with else "completed"

    def outputs(self) -> dict[str, Any]:
        values = self.grid.compute(self.inputs)
        wanted = set(self.output_columns or [c.key for c in self.grid.outputs])
        return {
            c.key: {"value": values.get(c.key), "name": c.name}
            for c in self.grid.outputs
            if c.key in wanted
        }

    def failure(self) -> str:
        try:
            return (self.grid.fails_with or "").format(**self.inputs)
        except (KeyError, IndexError, ValueError):
            return self.grid.fails_with or "Run failed."


@dataclass
class RequestRecord:
    at: float
    method: str
    path: str
    status: int


class _ApiError(Exception):
    def __init__(self, status: int, code: str, message: str | None = None) -> None:
        super().__init__(code)
        self.status, self.code = status, code
        self.message = message or MESSAGES.get(code, code.replace("_", " ").capitalize() + ".")


@dataclass
class SimulatorState:
    api_key: str
    rate_limit: int = 5
    sync_wait: float = 120.0  # simulated seconds a sync run is held open
    latency: float = 0.0
    time_scale: float = 1.0  # simulated seconds per real second
    feature_enabled: bool = True
    failed_status_as_error: bool = False  # answer a failed run's poll with 500 RUN_FAILED
    credits_total: int = 25_000
    credits_used: int = 3_150
    searches_limit: int = 500
    searches_used: int = 120
    grids: dict[str, SimGrid] = field(default_factory=dict)
    runs: dict[str, SimRun] = field(default_factory=dict)
    faults: list[Fault] = field(default_factory=list)
    records: list[RequestRecord] = field(default_factory=list)
    window: deque = field(default_factory=deque)


class Simulator:
    """Start with `start()`; `url` is the API base to give the client."""

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
        if credits_remaining is not None:
            self.set_credits_remaining(credits_remaining)
        self.lock = threading.RLock()
        self._stopping = threading.Event()
        handler = type("Handler", (_Handler,), {"sim": self})
        self.server = ThreadingHTTPServer((host, port), handler)
        self.server.daemon_threads = True
        self._thread: threading.Thread | None = None

    # --- lifecycle ----------------------------------------------------------------------

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}{BASE_PATH}"

    @property
    def api_key(self) -> str:
        return self.state.api_key

    def start(self) -> Simulator:
        self._thread = threading.Thread(
            target=self.server.serve_forever, args=(0.05,), name="bitscale-sim", daemon=True
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self.server.serve_forever()

    def stop(self) -> None:
        self._stopping.set()
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> Simulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- knobs for tests ----------------------------------------------------------------

    def inject(self, **kwargs: Any) -> Fault:
        fault = Fault(**kwargs)
        with self.lock:
            self.state.faults.append(fault)
        return fault

    def grid_named(self, name: str) -> SimGrid:
        return next(g for g in self.state.grids.values() if g.name == name)

    def add_timed_grid(self, name: str, seconds: float) -> SimGrid:
        """A grid whose every run takes `seconds` (simulated), for deploy tests and bench."""
        grid = timed_grid(name, seconds)
        with self.lock:
            self.state.grids[grid.id] = grid
        return grid

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

    def handle(
        self, method: str, raw_path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        if self.state.latency:
            time.sleep(self.state.latency)  # the network and BitScale's own work
        now = time.monotonic()  # arrival, as BitScale's rate limiter sees it
        parts = urlsplit(raw_path)
        path = parts.path
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        if not path.startswith(BASE_PATH + "/"):
            return self._finish(
                now, method, path, 404, {}, _error_body("NOT_FOUND", "No such endpoint.")
            )
        route = path[len(BASE_PATH) :]
        if headers.get("x-api-key", "") != self.state.api_key:
            return self._finish(
                now,
                method,
                route,
                401,
                {},
                _error_body("INVALID_API_KEY", MESSAGES["INVALID_API_KEY"]),
            )
        fault = self._take_fault(method, route)
        if fault is not None and fault.hang:
            self._stopping.wait(fault.hang)
        if fault is not None and not fault.passthrough:
            extra = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
            data = (
                fault.raw_body
                if fault.raw_body is not None
                else _error_body(fault.code or "INTERNAL_ERROR", fault.message)
            )
            return self._finish(now, method, route, fault.status, extra, data)
        remaining = self._admit(now)
        if remaining is None:
            return self._finish(
                now,
                method,
                route,
                429,
                {"Retry-After": "1"},
                _error_body("RATE_LIMIT_EXCEEDED", MESSAGES["RATE_LIMIT_EXCEEDED"]),
            )
        try:
            status, payload = self._route(method, route, query, body)
            data = json.dumps(payload).encode()
        except _ApiError as err:
            status, data = err.status, _error_body(err.code, err.message)
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
        headers.setdefault("X-RateLimit-Remaining", str(self._remaining(time.monotonic())))
        headers.update(extra)
        with self.lock:
            self.state.records.append(RequestRecord(at, method, route, status))
        return status, headers, data

    def _take_fault(self, method: str, route: str) -> Fault | None:
        with self.lock:
            for fault in self.state.faults:
                if fault.times > 0 and fault.matches(method, route):
                    fault.times -= 1
                    return fault
        return None

    def _admit(self, now: float) -> int | None:
        """Count this request in the workspace's 1-second window; None when it is full."""
        with self.lock:
            now = max(now, self.state.window[-1]) if self.state.window else now
            window = self.state.window
            while window and now - window[0] >= 1.0:
                window.popleft()
            if len(window) >= self.state.rate_limit:
                return None
            window.append(now)
            return self.state.rate_limit - len(window)

    def _remaining(self, now: float) -> int:
        with self.lock:
            live = sum(1 for t in self.state.window if now - t < 1.0)
            return max(0, self.state.rate_limit - live)

    def _route(
        self, method: str, route: str, query: dict[str, str], body: bytes
    ) -> tuple[int, Any]:
        segments = [unquote(s) for s in route.strip("/").split("/")]
        match method, segments:
            case "GET", ["workspace"]:
                return 200, self._workspace()
            case "GET", ["grids"]:
                return 200, self._list_grids(query)
            case "GET", ["grids", grid_id]:
                return 200, self._grid_details(self._grid(grid_id))
            case "GET", ["grids", grid_id, "curl"]:
                return 200, self._curl(self._grid(grid_id), query.get("output_columns"))
            case "POST", ["grids", grid_id, "run"]:
                return 200, self._run(grid_id, body)
            case "GET", ["run", "status", request_id]:
                return self._status(request_id)
            case "POST", ["api-key", "rotate"]:
                return 200, self._rotate()
        raise _ApiError(404, "NOT_FOUND", "No such endpoint.")

    # --- endpoints ----------------------------------------------------------------------

    def _workspace(self) -> dict[str, Any]:
        s = self.state
        remaining = max(0, s.credits_total - s.credits_used)
        return {
            "id": stable_id("workspace", "demo"),
            "name": "Demo Sales Team",
            "created_at": "2025-02-03T09:00:00Z",
            "created_by": {
                "id": stable_id("user", "ana"),
                "name": "Ana Admin",
                "email": "ana@example.com",
            },
            "plan": {
                "name": "Enterprise",
                "credits_included": 20_000,
                "billing_interval": "monthly",
                "next_billing_date": "2026-12-01T00:00:00Z",
                "price": 1200,
                "currency": "USD",
            },
            "credits": {
                "total": s.credits_total,
                "used": s.credits_used,
                "remaining": remaining,
                "plan_credits": 20_000,
                "rollover": 3_000,
                "topup": s.credits_total - 23_000,
            },
            "people_company_searches": {
                "limit": s.searches_limit,
                "used": s.searches_used,
                "remaining": max(0, s.searches_limit - s.searches_used),
                "next_renewal_date": "2026-12-01",
            },
            "members": {"total": 14, "owners": 1, "admins": 2, "editors": 11},
        }

    def _list_grids(self, query: dict[str, str]) -> dict[str, Any]:
        try:
            page = int(query.get("page", "1"))
            limit = int(query.get("limit", "20"))
        except ValueError:
            raise _ApiError(400, "INVALID_REQUEST", "page and limit must be integers.") from None
        if page < 1 or limit < 1:
            raise _ApiError(400, "INVALID_REQUEST", "page and limit must be positive.")
        limit = min(limit, 100)
        needle = query.get("search", "").lower()
        matching = [g for g in self.state.grids.values() if needle in g.name.lower()]
        total_pages = (len(matching) + limit - 1) // limit
        chunk = matching[(page - 1) * limit : page * limit]
        return {
            "grids": [self._grid_summary(g) for g in chunk],
            "total": len(matching),
            "page": page,
            "limit": limit,
            "total_pages": total_pages,
        }

    def _grid(self, grid_id: str) -> SimGrid:
        if grid_id == FOREIGN_GRID_ID:
            raise _ApiError(403, "GRID_NOT_FOUND", "Grid does not belong to your workspace.")
        grid = self.state.grids.get(grid_id)
        if grid is None:
            raise _ApiError(404, "GRID_NOT_FOUND")
        return grid

    @staticmethod
    def _column(c: Any, with_deps: bool) -> dict[str, Any]:
        out = {"id": c.key, "name": c.name, "type": c.type}
        if with_deps:
            out["dependencies"] = list(c.dependencies)
        return out

    def _grid_summary(self, g: SimGrid) -> dict[str, Any]:
        return {
            "id": g.id,
            "name": g.name,
            "description": g.description,
            "row_count": g.row_count,
            "column_count": len(g.columns),
            "created_at": "2025-06-01T10:00:00Z",
            "updated_at": "2026-11-01T10:00:00Z",
            "columns": [self._column(c, True) for c in g.outputs],
        }

    def _grid_details(self, g: SimGrid) -> dict[str, Any]:
        sources = []
        if g.has_source:
            sources.append(
                {
                    "id": g.source_id,
                    "display_name": "BitScale API",
                    "type": "api",
                    "is_scheduled": False,
                    "status": "active",
                    "last_run_at": None,
                    "next_run_at": None,
                }
            )
        return {
            "id": g.id,
            "name": g.name,
            "description": g.description,
            "row_count": g.row_count,
            "created_at": "2025-06-01T10:00:00Z",
            "updated_at": "2026-11-01T10:00:00Z",
            "settings": {"auto_run": True, "auto_dedupe": False, "visibility": "workspace"},
            "columns": [self._column(c, False) for c in g.columns],
            "sources": sources,
        }

    def _curl(self, g: SimGrid, output_columns: str | None) -> dict[str, Any]:
        if not g.has_source:
            raise _ApiError(400, "MISSING_SOURCE")
        chosen = None
        if output_columns:
            keys = [k.strip() for k in output_columns.split(",") if k.strip()]
            by_key = {c.key: c for c in g.outputs}
            unknown = [k for k in keys if k not in by_key]
            if unknown:
                raise _ApiError(
                    400,
                    "INVALID_OUTPUT_COLUMN",
                    f"Output column '{unknown[0]}' does not exist in the grid.",
                )
            chosen = [by_key[k] for k in keys]
        deps: list[str] = []
        for column in chosen or g.outputs:
            deps += [d for d in column.dependencies if d not in deps]
        body: dict[str, Any] = {"mode": "sync", "inputs": {k: "value" for k in deps}}
        if chosen:
            body["output_columns"] = [c.key for c in chosen]
        run_url = f"https://api.bitscale.ai/api/v1/grids/{g.id}/run"
        answer: dict[str, Any] = {
            "grid_id": g.id,
            "grid_name": g.name,
            "run_url": run_url,
            "method": "POST",
            "headers": {"X-API-KEY": "YOUR_WORKSPACE_API_KEY", "Content-Type": "application/json"},
            "request_body": body,
            "curl": (
                f"curl -X POST '{run_url}' -H 'X-API-KEY: YOUR_WORKSPACE_API_KEY' "
                f"-H 'Content-Type: application/json' -d '{json.dumps(body)}'"
            ),
        }
        if chosen:
            answer["output_columns"] = [self._column(c, False) for c in chosen]
        return answer

    def _run(self, grid_id: str, body: bytes) -> dict[str, Any]:
        grid = self._grid(grid_id)
        try:
            payload = json.loads(body or b"")
        except ValueError:
            raise _ApiError(
                400, "MISSING_REQUIRED_FIELD", "Request body is malformed JSON."
            ) from None
        if not isinstance(payload, dict) or "inputs" not in payload:
            raise _ApiError(400, "MISSING_REQUIRED_FIELD", "inputs is required.")
        if not isinstance(payload["inputs"], dict):
            raise _ApiError(400, "INVALID_INPUTS", "inputs must be an object of key-value pairs.")
        mode = payload.get("mode", "sync")
        if mode not in ("sync", "async"):
            raise _ApiError(400, "INVALID_REQUEST", 'mode must be "sync" or "async".')
        if not self.state.feature_enabled:
            raise _ApiError(
                403,
                "FEATURE_DISABLED",
                "BitScale APIs are not enabled on your plan. Upgrade to Enterprise.",
            )
        if not grid.has_source:
            raise _ApiError(400, "MISSING_SOURCE")
        source_id = payload.get("source_id")
        if source_id is not None and source_id != grid.source_id:
            raise _ApiError(400, "INVALID_SOURCE", "The source_id does not exist for this grid.")
        outputs = payload.get("output_columns")
        if outputs is not None:
            known = {c.key for c in grid.outputs}
            if not isinstance(outputs, list) or any(o not in known for o in outputs):
                raise _ApiError(
                    400,
                    "INVALID_OUTPUT_COLUMN",
                    "One of output_columns does not exist in the grid.",
                )
        duration = grid.duration
        if grid.duration_input and grid.duration_input in payload["inputs"]:
            try:
                duration = float(payload["inputs"][grid.duration_input])
            except (TypeError, ValueError):
                pass
        with self.lock:
            run = SimRun(
                str(uuid.uuid4()),
                grid,
                mode,
                dict(payload["inputs"]),
                outputs,
                time.monotonic(),
                duration / self.state.time_scale,
                time.time(),
            )
            self.state.runs[run.request_id] = run
            self.state.credits_used = min(
                self.state.credits_total, self.state.credits_used + grid.credit_cost
            )
            grid.row_count += 1
        if mode == "sync":
            deadline = min(run.duration, self.state.sync_wait / self.state.time_scale)
            self._stopping.wait(max(0.0, run.started + deadline - time.monotonic()))
            state = run.status(time.monotonic())
            if state == "completed":
                return {"mode": "sync", "status": "completed", "outputs": run.outputs()}
            if state == "failed":
                raise _ApiError(500, "RUN_FAILED", run.failure())
        return {
            "mode": mode,
            "status": "running",
            "request_id": run.request_id,
            "poll_url": f"{BASE_PATH}/run/status/{run.request_id}",
        }

    def _status(self, request_id: str) -> tuple[int, Any]:
        run = self.state.runs.get(request_id)
        if run is None:
            raise _ApiError(404, "REQUEST_NOT_FOUND")
        state = run.status(time.monotonic())
        answer: dict[str, Any] = {"mode": run.mode, "status": state, "grid_id": run.grid.id}
        if state == "completed":
            answer["outputs"] = run.outputs()
        elif state == "failed":
            if self.state.failed_status_as_error:
                raise _ApiError(500, "RUN_FAILED", run.failure())
            answer["error"] = {"code": "RUN_FAILED", "message": run.failure()}
        return 200, answer

    def _rotate(self) -> dict[str, Any]:
        with self.lock:
            self.state.api_key = "sim-" + secrets.token_urlsafe(18)
            return {"api_key": self.state.api_key}


def _error_body(code: str, message: str) -> bytes:
    return json.dumps({"error": {"code": code, "message": message}}).encode()


class _Handler(QuietHandler):
    sim: Simulator
    label = "simulator"

    def _serve(self) -> None:
        body = self.read_body()
        headers = {k.lower(): v for k, v in self.headers.items()}
        status, extra, data = self.sim.handle(self.command, self.path, headers, body)
        self.reply(status, data, extra)

    do_GET = do_POST = do_PUT = do_DELETE = _serve


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
