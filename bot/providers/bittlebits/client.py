"""httpx client for the Bittlebits REST API (`X-API-Key`), paced by two budgets.

Bittlebits counts per IP: POSTs (new tasks) 100 an hour, GETs (polls) 5 a second. One
limiter per budget and base URL is shared by everything in this process. A POST never
waits an hour inside the client: when the hourly budget is spent it fails at once with
`BUDGET_SPENT` and the seconds until a slot frees, and the caller queues the work.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import httpx
from pydantic import BaseModel, ValidationError

from bot.providers.bittlebits.errors import (
    BUDGET_SPENT,
    BittlebitsError,
    NotSent,
    error_from_response,
)
from bot.providers.bittlebits.models import Kind, Pending, Rewrite, Score, Submitted
from bot.providers.errors import BAD_RESPONSE
from bot.providers.http_limits import MAX_RESPONSE_BYTES, exchange
from bot.providers.key_status import KeyStatus
from bot.providers.keys import KEY_MALFORMED, unsendable, usable_key
from bot.providers.limiter import RateLimiter
from bot.providers.shared_rates import limiter_for

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://bittlebits.ai/api"
POSTS_PER_HOUR = 100
GETS_PER_SECOND = 5


class BittlebitsClient:
    """Thread-safe; share one per process. The API key never appears in logs or errors."""

    def __init__(
        self,
        api_key: str,
        base_url: str = DEFAULT_BASE_URL,
        *,
        post_limiter: RateLimiter | None = None,
        get_limiter: RateLimiter | None = None,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 20.0,
        max_response_bytes: int = MAX_RESPONSE_BYTES,
    ) -> None:
        self._api_key = usable_key(api_key, "BITTLEBITS_API_KEY")
        self.base_url = base_url.rstrip("/")
        # Per IP, so per base URL here (every key this process uses shares the one IP).
        self.post_limiter = post_limiter or limiter_for(
            self.base_url, POSTS_PER_HOUR, scope="bittlebits-post", per=3600.0
        )
        self.get_limiter = get_limiter or limiter_for(
            self.base_url, GETS_PER_SECOND, scope="bittlebits-get"
        )
        self._http = httpx.Client(
            base_url=self.base_url + "/",
            transport=transport,
            timeout=httpx.Timeout(timeout, connect=5.0),
            headers={"Accept": "application/json", "User-Agent": "bitscale-bot"},
        )
        self.requests_sent = 0
        self.max_response_bytes = max_response_bytes
        self.key_status = KeyStatus()  # what Bittlebits last said about the key (readiness)

    def __repr__(self) -> str:
        return f"BittlebitsClient(base_url={self.base_url!r}, api_key='***')"

    def close(self) -> None:
        self._http.close()

    def submit(
        self,
        kind: Kind,
        *,
        url: str | None = None,
        url_id: int | None = None,
        before_send: Callable[[], None] | None = None,
    ) -> Submitted:
        """POST a task. Raises BittlebitsError(BUDGET_SPENT) when the hourly budget is
        used up; never retried here (a second POST while one is pending is not allowed).
        `before_send` is called once the budget lets the request go, right before it
        leaves (an exception there cancels it)."""
        if not self.post_limiter.try_acquire():
            wait = max(1.0, self.post_limiter.available_in())
            raise NotSent(None, BUDGET_SPENT, "The hourly budget is used up.", wait)
        if before_send is not None:
            before_send()
        params: dict[str, Any] = {"url_id": url_id} if url_id is not None else {"url": url}
        return _parse(Submitted, self._send("POST", f"v1/{kind}", params)[1])

    def result(
        self, kind: Kind, *, url_id: int | None = None, url: str | None = None
    ) -> Pending | Score | Rewrite:
        """GET the task's state: Pending (202) or the result (200)."""
        self.get_limiter.acquire()
        params: dict[str, Any] = {"url_id": url_id} if url_id is not None else {"url": url}
        status, data = self._send("GET", f"v1/{kind}", params)
        if status == 202:
            return _parse(Pending, data)
        return _parse(Score if kind == "score" else Rewrite, data)

    def _send(self, method: str, path: str, params: dict[str, Any]) -> tuple[int, Any]:
        if unsendable(self._api_key):
            raise BittlebitsError(None, KEY_MALFORMED, "The API key holds a line break.")
        self.requests_sent += 1
        response, body = exchange(
            self._http,
            method,
            path,
            service="Bittlebits",
            error=BittlebitsError,
            not_sent=NotSent,
            limit=self.max_response_bytes,
            params=params,
            headers={"X-API-Key": self._api_key},
        )
        if response.status_code < 400:
            self.key_status.saw(response.status_code)
        else:
            error = error_from_response(
                response.status_code, body, response.headers.get("Retry-After")
            )
            self.key_status.saw(response.status_code, error.code)
            if error.code == "RATE_LIMITED" and method == "GET":
                # Everyone's polls pause; a refused POST is queued by the caller instead.
                self.get_limiter.on_rejected(error.retry_after or 1.0)
            raise error
        try:
            return response.status_code, json.loads(body)
        except ValueError:
            raise BittlebitsError(
                response.status_code, BAD_RESPONSE, "Bittlebits sent an answer that is not JSON."
            ) from None


def _parse(model: type[BaseModel], data: Any) -> Any:
    if not isinstance(data, dict):
        raise BittlebitsError(200, BAD_RESPONSE, "Bittlebits sent an answer of an odd shape.")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        fields = ", ".join(".".join(str(p) for p in e["loc"]) for e in exc.errors()[:3])
        raise BittlebitsError(200, BAD_RESPONSE, f"Bittlebits' answer lacks: {fields}.") from None
