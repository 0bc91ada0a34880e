"""The BitScale simulator's memory kept in a file next to the shell's `--db`: its runs and
credits, so a run still in flight when the shell quits is still known to "BitScale" when
the shell starts again, as it would be to the real one. Written with owner-only access."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from bot.playground.simulators.bitscale_state import SimRun, SimulatorState

# Runs older than this are forgotten on load (the real BitScale keeps its history; the
# file must not grow without end in a playground used for months).
KEEP_SECONDS = 7 * 24 * 3600


def state_path(db_path: str) -> Path:
    return Path(f"{db_path}.simulator.json")


def save(state: SimulatorState, path: Path) -> None:
    runs = [
        {
            "request_id": run.request_id,
            "grid_id": run.grid.id,
            "mode": run.mode,
            "inputs": run.inputs,
            "output_columns": run.output_columns,
            "started_wall": run.started_wall,
            "duration": run.duration,
        }
        for run in state.runs.values()
    ]
    data = {
        "credits_used": state.credits_used,
        "searches_used": state.searches_used,
        "row_counts": {g.id: g.row_count for g in state.grids.values()},
        "runs": runs,
    }
    temporary = path.with_name(path.name + ".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(data, f)
    os.replace(temporary, path)


def load(state: SimulatorState, path: Path) -> int:
    """Restore what `save` wrote; the number of runs restored (0 when there is no file or
    it cannot be read: the simulator then starts fresh, as before)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return 0
    if not isinstance(data, dict):
        return 0
    state.credits_used = int(data.get("credits_used") or state.credits_used)
    state.searches_used = int(data.get("searches_used") or state.searches_used)
    for grid_id, rows in (data.get("row_counts") or {}).items():
        if grid_id in state.grids:
            state.grids[grid_id].row_count = int(rows)
    now_wall, now = time.time(), time.monotonic()
    restored = 0
    for item in data.get("runs") or []:
        grid = state.grids.get(item.get("grid_id"))
        started_wall = float(item.get("started_wall") or 0)
        if grid is None or now_wall - started_wall > KEEP_SECONDS:
            continue
        run = SimRun(
            request_id=str(item["request_id"]),
            grid=grid,
            mode=str(item.get("mode") or "async"),
            inputs=dict(item.get("inputs") or {}),
            output_columns=item.get("output_columns"),
            # The simulator's clock is monotonic: place the start as long ago as it was.
            started=now - (now_wall - started_wall),
            duration=float(item.get("duration") or 0),
            started_wall=started_wall,
        )
        state.runs[run.request_id] = run
        restored += 1
    return restored
