"""The BitScale simulator's state: its runs, injected faults, the requests it saw, and the
documented error bodies."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from bot.playground.simulators.rate_window import SlidingWindow
from bot.playground.simulators.sim_grid import SimGrid, stable_id

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
    lose_answer: bool = False  # do the work, then answer with this fault instead (a lost answer)

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
        values = self.grid.answer(self.inputs)
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
    next_billing_date: str = "2026-12-01T00:00:00Z"  # the plan's renewal (GET /workspace)
    searches_limit: int = 500
    searches_used: int = 120
    grids: dict[str, SimGrid] = field(default_factory=dict)
    runs: dict[str, SimRun] = field(default_factory=dict)
    faults: list[Fault] = field(default_factory=list)
    records: list[RequestRecord] = field(default_factory=list)
    window: SlidingWindow = field(default_factory=SlidingWindow)


class ApiError(Exception):
    """A documented error answer: raised by an endpoint, sent as `error_body`."""

    def __init__(self, status: int, code: str, message: str | None = None) -> None:
        super().__init__(code)
        self.status, self.code = status, code
        self.message = message or MESSAGES.get(code, code.replace("_", " ").capitalize() + ".")


def error_body(code: str, message: str) -> bytes:
    return json.dumps({"error": {"code": code, "message": message}}).encode()
