"""httpx client for the BitScale External API: one method per endpoint, typed results.
How a request is sent (rate budget, retries, the key, errors) is transport.py."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from typing import Any
from urllib.parse import quote

from bot.providers.bitscale import models
from bot.providers.bitscale.transport import (
    BitScaleTransport,
    Priority,
    parse,
)
from bot.providers.held_requests import then
from bot.providers.keys import usable_key


class BitScaleClient(BitScaleTransport):
    """Thread-safe; share one per process. The API key never appears in logs or errors."""

    def observe_workspace(self, observer: Callable[[models.Workspace], None]) -> None:
        """Call `observer` with every answer of GET /workspace (the credit history keeps
        each one, whoever asked). Observers must not raise."""
        self._workspace_observers = [*getattr(self, "_workspace_observers", []), observer]

    # --- endpoints ------------------------------------------------------------------

    def workspace(self, *, priority: Priority = Priority.BACKGROUND) -> models.Workspace:
        answer = self._get("workspace", models.Workspace, priority=priority)
        for observer in getattr(self, "_workspace_observers", []):
            observer(answer)
        return answer

    def list_grids(
        self,
        search: str | None = None,
        page: int = 1,
        limit: int = 20,
        *,
        priority: Priority = Priority.INTERACTIVE,
    ) -> models.GridPage:
        if not 1 <= limit <= 100:
            raise ValueError("limit must be between 1 and 100")
        params: dict[str, Any] = {"page": max(1, page), "limit": limit}
        if search:
            params["search"] = search
        return self._get("grids", models.GridPage, params=params, priority=priority)

    def iter_grids(
        self, search: str | None = None, *, priority: Priority = Priority.INTERACTIVE
    ) -> Iterator[models.GridSummary]:
        """Every grid matching `search`, walking all pages 100 at a time."""
        page = 1
        while True:
            result = self.list_grids(search, page=page, limit=100, priority=priority)
            yield from result.grids
            if page >= result.total_pages or not result.grids:
                return
            page += 1

    def grid(
        self, grid_id: str, *, priority: Priority = Priority.INTERACTIVE
    ) -> models.GridDetails:
        return self._get(f"grids/{_segment(grid_id)}", models.GridDetails, priority=priority)

    def run_contract(
        self,
        grid_id: str,
        output_columns: list[str] | None = None,
        *,
        priority: Priority = Priority.INTERACTIVE,
    ) -> models.RunContract:
        params = {"output_columns": ",".join(output_columns)} if output_columns else None
        return self._get(
            f"grids/{_segment(grid_id)}/curl", models.RunContract, params=params, priority=priority
        )

    def run_grid(
        self,
        grid_id: str,
        inputs: dict[str, Any],
        *,
        mode: str = "sync",
        output_columns: list[str] | None = None,
        source_id: str | None = None,
        priority: Priority = Priority.SUBMIT,
        retry_rejected: bool = True,
        before_send: Callable[[], None] | None = None,
        abort: threading.Event | None = None,
    ) -> models.RunResult:
        """Start a run. Never retried blindly: a repeat would add a second row and spend
        credits twice. Only answers that prove nothing happened (429, no connection) retry,
        and not even those with `retry_rejected=False` (the caller requeues instead).

        `before_send` is called once the rate limiter lets the request go, just before it
        leaves: the caller records "sending" only then (an exception there cancels it), so a
        crash while waiting for a slot never strands a run as cut off mid-request. Once
        `abort` is set, a request still waiting for a slot is not sent (NotSent)."""
        data = self._request(
            "POST",
            f"grids/{_segment(grid_id)}/run",
            json=_run_body(mode, inputs, output_columns, source_id),
            timeout=self._run_timeout(mode),
            idempotent=False,
            priority=priority,
            retry_rejected=retry_rejected,
            before_send=before_send,
            abort=abort,
        )
        return parse(models.RunResult, data)

    def hold_run(
        self,
        grid_id: str,
        inputs: dict[str, Any],
        *,
        mode: str,
        output_columns: list[str] | None = None,
        priority: Priority = Priority.SUBMIT,
        before_send: Callable[[], None] | None = None,
        abort: threading.Event | None = None,
    ) -> Future[models.RunResult]:
        """Start a run as run_grid does with `retry_rejected=False`, but the caller's
        thread waits only for the rate budget: the answer (a sync run's result, up to two
        minutes later) comes in the future, or the BitScaleError. Only when `can_hold`."""
        sent = self._send_held(
            "POST",
            f"grids/{_segment(grid_id)}/run",
            json=_run_body(mode, inputs, output_columns, None),
            timeout=self._run_timeout(mode),
            priority=priority,
            before_send=before_send,
            abort=abort,
        )
        return then(sent, lambda data: parse(models.RunResult, data))

    def _run_timeout(self, mode: str) -> Any:
        return self._sync_timeout if mode == "sync" else self._async_timeout

    def run_status(
        self, request_id: str, *, priority: Priority = Priority.POLL
    ) -> models.RunResult:
        return self._get(f"run/status/{_segment(request_id)}", models.RunResult, priority=priority)

    def rotate_key(
        self,
        *,
        persist: Callable[[str], None] | None = None,
        priority: Priority = Priority.INTERACTIVE,
    ) -> models.RotatedKey:
        """Swap the workspace key; this client uses the new one from then on.

        While it runs, no other request starts (they wait a moment), so none goes out with
        a key that is about to die. `persist(new_key)` is called before the swap: the key
        is stored durably before anything else uses it. Requests already in flight with
        the old key that come back INVALID_API_KEY are sent again with the new one (a 401
        means nothing happened). On any error the old key stays in use."""
        with self._rotating:
            data = self._request(
                "POST",
                "api-key/rotate",
                timeout=self._get_timeout,
                idempotent=False,
                priority=priority,
                retry_rejected=False,
                key=self._api_key,
            )
            rotated = parse(models.RotatedKey, data)
            try:
                if persist is not None:
                    persist(rotated.api_key)
            finally:  # the old key is dead now, stored or not: use the new one
                self._api_key = rotated.api_key
        return rotated

    def use_checked_key(self, key: str, *, persist: Callable[[str], None] | None = None) -> None:
        """Switch to a key an admin set (after a rotation whose answer was lost): one
        GET /workspace with it first, so a key BitScale refuses raises and changes nothing;
        then `persist(key)` and the swap, as a rotation does. Spaces and line breaks
        around a pasted key are dropped, as for BITSCALE_API_KEY."""
        key = usable_key(key, "The BitScale API key")
        self._request(
            "GET",
            "workspace",
            timeout=self._get_timeout,
            idempotent=True,
            priority=Priority.INTERACTIVE,
            key=key,
        )
        with self._rotating:
            if persist is not None:
                persist(key)
            self._api_key = key
        self.key_status.saw(200)  # accepted just now


def _run_body(
    mode: str, inputs: dict[str, Any], output_columns: list[str] | None, source_id: str | None
) -> dict[str, Any]:
    body: dict[str, Any] = {"mode": mode, "inputs": inputs}
    if output_columns:
        body["output_columns"] = output_columns
    if source_id:
        body["source_id"] = source_id
    return body


def _segment(value: str) -> str:
    """Quote an id for use as one path segment, so an odd id cannot reach another endpoint."""
    return quote(str(value), safe="")
