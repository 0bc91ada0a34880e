"""The simulator's read-only endpoints: the workspace, the grid list, a grid's details and
its run contract (`/curl`), shaped as the API reference documents them."""

from __future__ import annotations

import json
from typing import Any

from bot.playground.simulators.bitscale_state import FOREIGN_GRID_ID, ApiError, SimulatorState
from bot.playground.simulators.sim_grid import SimGrid, stable_id


def workspace(s: SimulatorState) -> dict[str, Any]:
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
            "next_billing_date": s.next_billing_date,
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


def list_grids(s: SimulatorState, query: dict[str, str]) -> dict[str, Any]:
    try:
        page = int(query.get("page", "1"))
        limit = int(query.get("limit", "20"))
    except ValueError:
        raise ApiError(400, "INVALID_REQUEST", "page and limit must be integers.") from None
    if page < 1 or limit < 1:
        raise ApiError(400, "INVALID_REQUEST", "page and limit must be positive.")
    limit = min(limit, 100)
    needle = query.get("search", "").lower()
    matching = [g for g in s.grids.values() if needle in g.name.lower()]
    total_pages = (len(matching) + limit - 1) // limit
    chunk = matching[(page - 1) * limit : page * limit]
    return {
        "grids": [grid_summary(g) for g in chunk],
        "total": len(matching),
        "page": page,
        "limit": limit,
        "total_pages": total_pages,
    }


def find_grid(s: SimulatorState, grid_id: str) -> SimGrid:
    if grid_id == FOREIGN_GRID_ID:
        raise ApiError(403, "GRID_NOT_FOUND", "Grid does not belong to your workspace.")
    grid = s.grids.get(grid_id)
    if grid is None:
        raise ApiError(404, "GRID_NOT_FOUND")
    return grid


def column(c: Any, with_deps: bool) -> dict[str, Any]:
    out = {"id": c.key, "name": c.name, "type": c.type}
    if with_deps:
        out["dependencies"] = list(c.dependencies)
    return out


def grid_summary(g: SimGrid) -> dict[str, Any]:
    return {
        "id": g.id,
        "name": g.name,
        "description": g.description,
        "row_count": g.row_count,
        "column_count": len(g.columns),
        "created_at": "2025-06-01T10:00:00Z",
        "updated_at": "2026-11-01T10:00:00Z",
        "columns": [column(c, True) for c in g.outputs],
    }


def grid_details(g: SimGrid) -> dict[str, Any]:
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
        "columns": [column(c, False) for c in g.columns],
        "sources": sources,
    }


def curl(g: SimGrid, output_columns: str | None) -> dict[str, Any]:
    if not g.has_source:
        raise ApiError(400, "MISSING_SOURCE")
    chosen = None
    if output_columns:
        keys = [k.strip() for k in output_columns.split(",") if k.strip()]
        by_key = {c.key: c for c in g.outputs}
        unknown = [k for k in keys if k not in by_key]
        if unknown:
            raise ApiError(
                400,
                "INVALID_OUTPUT_COLUMN",
                f"Output column '{unknown[0]}' does not exist in the grid.",
            )
        chosen = [by_key[k] for k in keys]
    deps: list[str] = []
    for c in chosen or g.outputs:
        deps += [d for d in c.dependencies if d not in deps]
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
        answer["output_columns"] = [column(c, False) for c in chosen]
    return answer
