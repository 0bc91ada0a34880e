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

import hashlib
import json
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from bot.playground.http import QuietHandler

DEFAULT_KEY = "bb-demo-key"
BASE_PATH = "/api"
KINDS = ("score", "rewrite")
METRICS = (
    "citation_readiness",
    "content_depth",
    "entity_clarity",
    "answer_structure",
    "source_authority",
    "freshness",
    "schema_markup",
)
HOSTILE = "<!channel> <@U0BOSS> <https://evil.example|click here> & *bold*"


@dataclass
class Task:
    task_id: str
    url_id: int
    kind: str
    started: float  # on the simulator's task clock
    seconds: float
    fate: str = "ready"  # ready | revoked | timed_out


@dataclass
class Record:
    method: str
    kind: str
    params: dict[str, str]
    status: int
    ip: str
    at: float


@dataclass
class BittlebitsState:
    api_key: str
    post_limit: int = 100
    post_window: float = 3600.0
    get_limit: int = 5
    get_window: float = 1.0
    task_seconds: float = 6.0
    urls: dict[int, str] = field(default_factory=dict)
    ids: dict[str, int] = field(default_factory=dict)
    tasks: dict[tuple[int, str], Task] = field(default_factory=dict)
    fates: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    posts: dict[str, deque] = field(default_factory=lambda: defaultdict(deque))
    gets: dict[str, deque] = field(default_factory=lambda: defaultdict(deque))
    records: list[Record] = field(default_factory=list)
    reposts_while_pending: int = 0  # POSTs the reference forbids: a task was pending
    fail_next: list[int] = field(default_factory=list)  # statuses to answer next, once each


class BittlebitsSimulator:
    """`start()`, then give the client `url` and `api_key`."""

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
        handler = type("Handler", (_Handler,), {"sim": self})
        self.server = ThreadingHTTPServer((host, port), handler)
        self.server.daemon_threads = True

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}{BASE_PATH}"

    @property
    def api_key(self) -> str:
        return self.state.api_key

    def start(self) -> BittlebitsSimulator:
        threading.Thread(
            target=self.server.serve_forever, args=(0.05,), name="bittlebits-sim", daemon=True
        ).start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> BittlebitsSimulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

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

    def handle(
        self, method: str, path: str, headers: dict[str, str], ip: str
    ) -> tuple[int, dict[str, Any]]:
        parts = urlsplit(path)
        params = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
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
        window, limit, span, what = (
            (s.posts[ip], s.post_limit, s.post_window, "hour")
            if method == "POST"
            else (s.gets[ip], s.get_limit, s.get_window, "second")
        )
        now = self.clock()
        while window and now - window[0] >= span:
            window.popleft()
        if len(window) >= limit:
            return f"Rate limit exceeded: {limit} requests per {what}"
        window.append(now)
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
            return 200, {"url_id": url_id, "metrics": _metrics(page)}
        return 200, {
            "url_id": url_id,
            "parsed_html": _html(page),
            "suggestions": _suggestions(page),
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


def _seed(page: str) -> bytes:
    return hashlib.sha256(page.encode()).digest()


def _metrics(page: str) -> dict[str, float]:
    seed = _seed(page)
    metrics = {name: round(2 + (seed[i] % 80) / 10, 1) for i, name in enumerate(METRICS)}
    if "hostile" in page:
        metrics[HOSTILE] = 1.0
    return metrics


def _html(page: str) -> str:
    return f"# {page}\n\nWelcome to our site. We do things.\n"


def _suggestions(page: str) -> list[dict[str, Any]]:
    host = urlsplit(page).netloc or "this site"
    spots = ["hero-h1", "hero-sub", "pricing-intro", "faq-1", "faq-2", "footer-about", "cta"]
    out = [
        {
            "stable_id": spot,
            "current_text": f"Welcome to {host}" if i == 0 else f"Some text in {spot}",
            "suggested_text": f"{host}: the clear answer for {spot.replace('-', ' ')}",
            "rationale": "More specific entity signal for AI citation",
            "is_addition": i == len(spots) - 1,
        }
        for i, spot in enumerate(spots)
    ]
    if "hostile" in page:
        out[0]["current_text"] = HOSTILE
        out[0]["suggested_text"] = HOSTILE
        out[0]["rationale"] = HOSTILE
        out[0]["stable_id"] = HOSTILE
    return out


class _Handler(QuietHandler):
    sim: BittlebitsSimulator
    label = "bittlebits-simulator"
    disable_nagle_algorithm = True  # headers and body go out as two writes: no 40 ms stall

    def _serve(self) -> None:
        self.read_body()
        headers = {k.lower(): v for k, v in self.headers.items()}
        status, data = self.sim.handle(self.command, self.path, headers, self.client_address[0])
        self.reply(status, json.dumps(data).encode())

    do_GET = do_POST = do_PUT = do_DELETE = _serve
