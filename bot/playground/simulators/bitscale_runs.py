"""The simulator's run endpoints: start a run (sync runs are held open up to the sync
window), and report a run's status."""

from __future__ import annotations

import json
import threading
import time
import uuid
from typing import Any

from bot.playground.simulators.bitscale_grids import find_grid
from bot.playground.simulators.bitscale_state import BASE_PATH, ApiError, SimRun, SimulatorState


def start_run(
    s: SimulatorState,
    lock: threading.RLock,
    stopping: threading.Event,
    grid_id: str,
    body: bytes,
) -> dict[str, Any]:
    grid = find_grid(s, grid_id)
    try:
        payload = json.loads(body or b"")
    except ValueError:
        raise ApiError(400, "MISSING_REQUIRED_FIELD", "Request body is malformed JSON.") from None
    if not isinstance(payload, dict) or "inputs" not in payload:
        raise ApiError(400, "MISSING_REQUIRED_FIELD", "inputs is required.")
    if not isinstance(payload["inputs"], dict):
        raise ApiError(400, "INVALID_INPUTS", "inputs must be an object of key-value pairs.")
    mode = payload.get("mode", "sync")
    if mode not in ("sync", "async"):
        raise ApiError(400, "INVALID_REQUEST", 'mode must be "sync" or "async".')
    if not s.feature_enabled:
        raise ApiError(
            403,
            "FEATURE_DISABLED",
            "BitScale APIs are not enabled on your plan. Upgrade to Enterprise.",
        )
    if not grid.has_source:
        raise ApiError(400, "MISSING_SOURCE")
    source_id = payload.get("source_id")
    if source_id is not None and source_id != grid.source_id:
        raise ApiError(400, "INVALID_SOURCE", "The source_id does not exist for this grid.")
    outputs = payload.get("output_columns")
    if outputs is not None:
        known = {c.key for c in grid.outputs}
        if not isinstance(outputs, list) or any(o not in known for o in outputs):
            raise ApiError(
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
    with lock:
        run = SimRun(
            str(uuid.uuid4()),
            grid,
            mode,
            dict(payload["inputs"]),
            outputs,
            time.monotonic(),
            duration / s.time_scale,
            time.time(),
        )
        s.runs[run.request_id] = run
        s.credits_used = min(s.credits_total, s.credits_used + grid.credit_cost)
        grid.row_count += 1
    if mode == "sync":
        deadline = min(run.duration, s.sync_wait / s.time_scale)
        stopping.wait(max(0.0, run.started + deadline - time.monotonic()))
        state = run.status(time.monotonic())
        if state == "completed":
            return {"mode": "sync", "status": "completed", "outputs": run.outputs()}
        if state == "failed":
            raise ApiError(500, "RUN_FAILED", run.failure())
    return {
        "mode": mode,
        "status": "running",
        "request_id": run.request_id,
        "poll_url": f"{BASE_PATH}/run/status/{run.request_id}",
    }


def run_status(s: SimulatorState, request_id: str) -> dict[str, Any]:
    run = s.runs.get(request_id)
    if run is None:
        raise ApiError(404, "REQUEST_NOT_FOUND")
    state = run.status(time.monotonic())
    answer: dict[str, Any] = {"mode": run.mode, "status": state, "grid_id": run.grid.id}
    if state == "completed":
        answer["outputs"] = run.outputs()
    elif state == "failed":
        if s.failed_status_as_error:
            raise ApiError(500, "RUN_FAILED", run.failure())
        answer["error"] = {"code": "RUN_FAILED", "message": run.failure()}
    return answer
