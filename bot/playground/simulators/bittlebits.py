"""A Bittlebits API stand-in on loopback, faithful to ../shared/reference/bittlebits-api.md.

- `POST /api/v1/score|rewrite?url=…|url_id=…` → 200 `{"status": "submitted", "url_id",
  "created"}` (`created` true for a new URL, false for a known one); 100 POSTs an hour per
  IP (score and rewrite together: the cautious reading of the reference).
- `GET /api/v1/score|rewrite?url_id=…|url=…` → 202 `{"status": "pending", "task_id",
  "url_id"}` while the task runs, then 200 with the metrics or the suggestions; 5 GETs a
  second per IP.
- The key in `X-API-Key` or `Authorization`; errors are `{"error": "…"}` with 400, 401,
  404, 410 (revoked), 429, 500 and 504 (timed out). No rate-limit headers: the reference
  documents none.
- Revoked and timed-out tasks on demand: `revoke_next(url)` / `time_out_next(url)`, or a
  URL containing `revoke-once` / `timeout-once`. A URL containing `hostile` returns page
  text written to attack Slack formatting.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from bot.playground.http import ApiHandler, LoopbackServer, query_params
from bot.playground.simulators import bittlebits_pages as pages
from bot.playground.simulators.bittlebits_pages import HOSTILE, METRICS
from bot.playground.simulators.bittlebits_state import BittlebitsState, Record, Task
from bot.playground.simulators.rate_window import SlidingWindow

__all__ = ["BASE_PATH", "DEFAULT_KEY", "HOSTILE", "KINDS", "METRICS", "BittlebitsSimulator"]

DEFAULT_KEY = "bb-demo-key"
BASE_PATH = "/api"
KINDS = ("score", "rewrite")


class _Handler(ApiHandler):
    label = "bittlebits-simulator"
    disable_nagle_algorithm = True  # headers and body go out as two writes: no 40 ms stall


class BittlebitsSimulator(LoopbackServer):
    """`start()`, then give the client `url` and `api_key`."""

    base_path = BASE_PATH
    thread_name = "bittlebits-sim"

    def __init__(
        self,
        api_key: str = DEFAULT_KEY,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        time_scale: float = 1.0,
        task_seconds: float = 6.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.state = BittlebitsState(api_key=api_key, task_seconds=task_seconds)
        self.time_scale = time_scale
        self.clock = clock  # rate windows; tasks run on clock × time_scale
        self.lock = threading.RLock()
        self._next_task = 0
        super().__init__(_Handler, host, port)

    @property
    def api_key(self) -> str:
        return self.state.api_key

    # --- knobs and counters for tests ------------------------------------------------------

    def revoke_next(self, url: str) -> None:
        """The next task for this URL is revoked (its GET answers 410)."""
        with self.lock:
            self.state.fates[url].append("revoked")

    def time_out_next(self, url: str) -> None:
        """The next task for this URL times out (its GET answers 504)."""
        with self.lock:
            self.state.fates[url].append("timed_out")

    def fail_next(self, *statuses: int) -> None:
        """Answer the next requests with these statuses (500, 429, …), one each."""
        with self.lock:
            self.state.fail_next.extend(statuses)

    def posts(self, url: str | None = None, kind: str | None = None) -> list[Record]:
        """Accepted POSTs, for one URL (by url or url_id) and kind if given."""
        with self.lock:
            url_id = self.state.ids.get(url) if url else None
            return [
                r
                for r in self.state.records
                if r.method == "POST"
                and r.status == 200
                and (kind is None or r.kind == kind)
                and (
                    url is None
                    or r.params.get("url") == url
                    or r.params.get("url_id") == str(url_id)
                )
            ]

    def count(self, status: int) -> int:
        with self.lock:
            return sum(1 for r in self.state.records if r.status == status)

    # --- the API --------------------------------------------------------------------------

    def answer(
        self, method: str, path: str, headers: dict[str, str], body: bytes, ip: str
    ) -> tuple[int, dict[str, str], bytes]:
        status, data = self.handle(method, path, headers, ip)
        return status, {}, json.dumps(data).encode()

    def handle(
        self, method: str, path: str, headers: dict[str, str], ip: str
    ) -> tuple[int, dict[str, Any]]:
        parts = urlsplit(path)
        params = query_params(parts.query, keep_blank=True)
        kind = parts.path.rstrip("/").rsplit("/", 1)[-1]
        with self.lock:
            status, body = self._answer(method, parts.path, kind, params, headers, ip)
            self.state.records.append(Record(method, kind, params, status, ip, self.clock()))
        return status, body

    def _answer(
        self,
        method: str,
        path: str,
        kind: str,
        params: dict[str, str],
        headers: dict[str, str],
        ip: str,
    ) -> tuple[int, dict[str, Any]]:
        if path.rstrip("/") not in (f"{BASE_PATH}/v1/score", f"{BASE_PATH}/v1/rewrite"):
            return _error(404, "Not found")
        if method not in ("GET", "POST"):
            return _error(404, "Not found")
        limited = self._over_limit(method, ip)
        if limited:
            return _error(429, limited)
        key = headers.get("x-api-key") or headers.get("authorization") or ""
        if key.removeprefix("Bearer ").strip() != self.state.api_key:
            return _error(401, "Invalid or missing API key")
        if self.state.fail_next:
            status = self.state.fail_next.pop(0)
            return _error(status, _MESSAGES.get(status, "Something went wrong"))
        if method == "POST":
            return self._submit(kind, params)
        return self._result(kind, params)

    def _over_limit(self, method: str, ip: str) -> str | None:
        s = self.state
        windows, limit, span, what = (
            (s.posts, s.post_limit, s.post_window, "hour")
            if method == "POST"
            else (s.gets, s.get_limit, s.get_window, "second")
        )
        window = windows.setdefault(ip, SlidingWindow(span))
        if window.admit(self.clock(), limit) is None:
            return f"Rate limit exceeded: {limit} requests per {what}"
        return None

    def _url_id(self, params: dict[str, str]) -> tuple[int | None, tuple[int, dict] | None]:
        if params.get("url_id"):
            try:
                url_id = int(params["url_id"])
            except ValueError:
                return None, _error(400, "url_id must be a number")
            if url_id not in self.state.urls:
                return None, _error(404, f"url_id {url_id} does not exist")
            return url_id, None
        url = params.get("url", "").strip()
        if not url:
            return None, _error(400, "Missing url or url_id")
        if url not in self.state.ids:
            return None, _error(404, "This URL has not been submitted")
        return self.state.ids[url], None

    def _submit(self, kind: str, params: dict[str, str]) -> tuple[int, dict[str, Any]]:
        created = False
        url = params.get("url", "").strip()
        if url and not params.get("url_id"):
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or "." not in parts.netloc:
                return _error(400, "Invalid url")
            if url not in self.state.ids:
                url_id = len(self.state.urls) + 42
                self.state.urls[url_id] = url
                self.state.ids[url] = url_id
                created = True
        url_id, problem = self._url_id(params)
        if problem:
            return problem
        assert url_id is not None
        task = self.state.tasks.get((url_id, kind))
        if task is not None and self._status(task) == "pending":
            self.state.reposts_while_pending += 1
        else:
            self._next_task += 1
            page = self.state.urls[url_id]
            fates = self.state.fates.get(page) or []
            fate = fates.pop(0) if fates else _marked_fate(page, self.state.tasks, url_id, kind)
            seconds = self.state.task_seconds * (2 if created else 1)  # new URLs are scraped
            self.state.tasks[(url_id, kind)] = Task(
                f"task-{self._next_task}", url_id, kind, self._task_clock(), seconds, fate
            )
        return 200, {"status": "submitted", "url_id": url_id, "created": created}

    def _result(self, kind: str, params: dict[str, str]) -> tuple[int, dict[str, Any]]:
        url_id, problem = self._url_id(params)
        if problem:
            return problem
        task = self.state.tasks.get((url_id, kind))  # type: ignore[arg-type]
        if task is None:
            return _error(404, "No task has been submitted for this URL yet")
        status = self._status(task)
        if status == "pending":
            return 202, {"status": "pending", "task_id": task.task_id, "url_id": url_id}
        if status == "revoked":
            return _error(410, "The task was revoked. Resubmit with POST")
        if status == "timed_out":
            return _error(504, "The task timed out. Resubmit with POST")
        page = self.state.urls[task.url_id]
        if kind == "score":
            return 200, {"url_id": url_id, "metrics": pages.metrics(page)}
        return 200, {
            "url_id": url_id,
            "parsed_html": pages.html(page),
            "suggestions": pages.suggestions(page),
        }

    def _status(self, task: Task) -> str:
        if self._task_clock() - task.started < task.seconds:
            return "pending"
        return task.fate if task.fate != "ready" else "ready"

    def _task_clock(self) -> float:
        return self.clock() * self.time_scale


def _marked_fate(page: str, tasks: dict, url_id: int, kind: str) -> str:
    """`revoke-once` / `timeout-once` in the URL: its first task of each kind fails so."""
    if (url_id, kind) in tasks:
        return "ready"
    if "revoke-once" in page:
        return "revoked"
    if "timeout-once" in page:
        return "timed_out"
    return "ready"


_MESSAGES = {
    400: "Missing or invalid parameters",
    401: "Invalid or missing API key",
    404: "Not found",
    410: "The task was revoked. Resubmit with POST",
    429: "Rate limit exceeded",
    500: "Something went wrong on our end",
    504: "The task timed out. Resubmit with POST",
}


def _error(status: int, message: str) -> tuple[int, dict[str, Any]]:
    return status, {"error": message}
