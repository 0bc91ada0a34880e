"""How the BitScale client sends a request: the shared rate budget and its priorities,
retries that are safe, the API key (swapped atomically by a rotation), and every failure
as a BitScaleError."""

from __future__ import annotations

import json as jsonlib
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from enum import IntEnum
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from bot.providers.bitscale.errors import BitScaleError, NotSent, error_from_response
from bot.providers.errors import BAD_RESPONSE, CONNECTION_ERROR
from bot.providers.held_requests import HeldRequests, then
from bot.providers.http_limits import MAX_RESPONSE_BYTES, exchange
from bot.providers.key_status import KeyStatus
from bot.providers.keys import KEY_MALFORMED, unsendable, usable_key
from bot.providers.limiter import Aborted, RateLimiter, Start
from bot.providers.shared_rates import limiter_for

log = logging.getLogger(__name__)

M = TypeVar("M", bound=BaseModel)

DEFAULT_BASE_URL = "https://api.bitscale.ai/api/v1"
SYNC_RUN_WAIT = 120.0  # BitScale holds a sync run open this long before answering "running"
HEADERS = {"Accept": "application/json", "User-Agent": "bitscale-bot"}


class Priority(IntEnum):
    """Who goes first when the rate budget is short: lower is more urgent."""

    INTERACTIVE = 0  # a person is waiting on a modal or a command reply
    DUE_POLL = 1  # checking on a run that is probably done: its result is waiting
    SUBMIT = 2  # starting a run somebody asked for
    POLL = 3  # checking on a run that is probably still running
    BACKGROUND = 4  # credit checks
    BATCH = 5  # rows of a batch: whatever budget people and the rest leave


class BitScaleTransport:
    def __init__(
        self,
        api_key: str,
        base_url: str = DEFAULT_BASE_URL,
        *,
        limiter: RateLimiter | None = None,
        rate_limit: int = 5,
        transport: httpx.BaseTransport | None = None,
        max_connections: int = 200,
        get_timeout: float = 15.0,
        sync_run_timeout: float = SYNC_RUN_WAIT + 15.0,
        max_retries: int = 4,
        max_backoff: float = 8.0,
        sleep: Callable[[float], None] = time.sleep,
        max_response_bytes: int = MAX_RESPONSE_BYTES,
    ) -> None:
        api_key = usable_key(api_key, "BITSCALE_API_KEY")
        self._api_key = api_key
        self.base_url = base_url.rstrip("/")
        self.limiter = limiter or limiter_for(api_key, rate_limit)
        self._http = httpx.Client(
            base_url=self.base_url + "/",
            transport=transport,
            limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=32),
            headers=HEADERS,
        )
        # Runs sent without a thread waiting on each (see held_requests.py); not when a
        # test hands in its own transport, whose requests stay in the caller's thread.
        self._held = HeldRequests(self.base_url + "/", HEADERS) if transport is None else None
        self._get_timeout = httpx.Timeout(get_timeout, connect=5.0)
        self._sync_timeout = httpx.Timeout(sync_run_timeout, connect=5.0)
        self._async_timeout = httpx.Timeout(30.0, connect=5.0)
        self._max_retries = max_retries
        self._max_backoff = max_backoff
        self._sleep = sleep
        self.max_response_bytes = max_response_bytes
        self.requests_sent = 0
        self.key_status = KeyStatus()  # what BitScale last said about the key (readiness)
        self._rotating = threading.RLock()  # held while the key is being rotated

    def __repr__(self) -> str:
        return f"BitScaleClient(base_url={self.base_url!r}, api_key='***')"

    @property
    def can_hold(self) -> bool:
        """Can a request be sent without the caller's thread waiting for its answer?"""
        return self._held is not None

    def close(self) -> None:
        self._http.close()
        if self._held is not None:
            self._held.close()

    def use_key(self, api_key: str) -> None:
        """Use another key from now on (one stored by a rotation, say)."""
        with self._rotating:
            self._api_key = usable_key(api_key, "The stored BitScale API key")

    # --- transport --------------------------------------------------------------------

    def _get(
        self, path: str, model: type[M], *, params: dict | None = None, priority: Priority
    ) -> M:
        data = self._request(
            "GET",
            path,
            params=params,
            timeout=self._get_timeout,
            idempotent=True,
            priority=priority,
        )
        return parse(model, data)

    def _request(
        self,
        method: str,
        path: str,
        *,
        params: dict | None = None,
        json: dict | None = None,
        timeout: httpx.Timeout,
        idempotent: bool,
        priority: Priority,
        retry_rejected: bool = True,
        key: str | None = None,
        before_send: Callable[[], None] | None = None,
        abort: threading.Event | None = None,
    ) -> Any:
        attempt = 0
        hook = [before_send]

        def fire() -> None:  # `before_send` runs once, however many times we retry
            fn, hook[0] = hook[0], None
            if fn is not None:
                fn()

        while True:
            attempt += 1
            used = key or self._current_key()
            try:
                return self._send_once(
                    method, path, params, json, timeout, priority, used, fire, abort
                )
            except BitScaleError as error:
                if error.code == "INVALID_API_KEY" and key is None and used != self._api_key:
                    continue  # the key was rotated while this was in flight: nothing happened
                if attempt > self._max_retries or not self._may_retry(error, idempotent):
                    raise
                if not idempotent and not retry_rejected:
                    raise
                delay = self._backoff(error, attempt)
                log.warning(
                    "BitScale %s %s failed (%s); retrying in %.1fs", method, path, error.code, delay
                )
                self._sleep(delay)

    def _current_key(self) -> str:
        """The key to send with; waits while a rotation is in progress."""
        with self._rotating:
            return self._api_key

    def _send_once(
        self, method, path, params, json, timeout, priority, api_key, before_send=None, abort=None
    ) -> Any:
        self._admit(priority, api_key, before_send, abort)
        response, body = exchange(
            self._http,
            method,
            path,
            service="BitScale",
            error=BitScaleError,
            not_sent=NotSent,  # nothing reached BitScale: safe to retry even a run
            limit=self.max_response_bytes,
            params=params,
            json=json,
            timeout=timeout,
            headers={"X-API-KEY": api_key},
        )
        return self._answer(response, body, api_key)

    def _send_held(
        self,
        method: str,
        path: str,
        *,
        json: dict,
        timeout: httpx.Timeout,
        priority: Priority,
        before_send: Callable[[], None] | None = None,
        abort: threading.Event | None = None,
    ) -> Future[Any]:
        """Send once, never retried, without holding the caller's thread for the answer:
        it waits only for the rate budget (and runs `before_send`); the answer, or the
        BitScaleError, comes in the future."""
        assert self._held is not None
        api_key = self._current_key()
        start = self._admit(priority, api_key, before_send, abort)

        def on_sent() -> None:  # handing it to the loop took a moment: count from now
            self.limiter.started_late(start, self.limiter.now() - start.at)

        sent = self._held.send(
            method,
            path,
            service="BitScale",
            error=BitScaleError,
            not_sent=NotSent,
            limit=self.max_response_bytes,
            on_sent=on_sent,
            json=json,
            timeout=timeout,
            headers={"X-API-KEY": api_key},
        )
        sent_at = self.limiter.now()

        def answered(exchanged: tuple[httpx.Response, bytes]) -> Any:
            # A sync run's answer comes long after the server counted it: what it says of
            # the server's window then is out of date.
            fresh = self.limiter.now() - sent_at < self.limiter.window
            try:
                return self._answer(*exchanged, api_key, observe=fresh)
            except BitScaleError as error:
                if error.code == "INVALID_API_KEY" and api_key != self._api_key:
                    # Rotated while in flight: a 401 means nothing happened; send it again.
                    raise NotSent(None, error.code, "Sent with a key rotated meanwhile.") from None
                raise

        return then(sent, answered)

    def _admit(self, priority, api_key, before_send, abort) -> Start:
        """Wait for the rate budget, then `before_send`; raise instead when it must not go."""
        try:
            start = self.limiter.acquire(int(priority), abort)
        except Aborted:
            raise NotSent(None, CONNECTION_ERROR, "Not sent: the bot is shutting down.") from None
        if unsendable(api_key):
            raise BitScaleError(None, KEY_MALFORMED, "The API key holds a line break.")
        if before_send is not None:
            before_send()
        self.requests_sent += 1
        return start

    def _answer(
        self, response: httpx.Response, body: bytes, api_key: str, *, observe: bool = True
    ) -> Any:
        """The JSON of a 2xx answer; otherwise its BitScaleError (a 429 holds the budget).
        `observe`: the answer's rate-limit headers still describe the server's window."""
        if observe:
            self.limiter.observe_remaining(_int_header(response, "X-RateLimit-Remaining"))
        error = None
        if response.status_code >= 400:
            error = error_from_response(
                response.status_code, body, response.headers.get("Retry-After")
            )
        if api_key == self._api_key:  # an answer to a key rotated away says nothing now
            self.key_status.saw(response.status_code, error.code if error else None)
        if error is not None:
            if response.status_code == 429:
                wait = error.retry_after if error.retry_after is not None else 1.0
                self.limiter.on_rejected(wait)
            raise error
        try:
            return jsonlib.loads(body)
        except ValueError:
            raise BitScaleError(
                response.status_code,
                BAD_RESPONSE,
                "BitScale sent an answer that is not valid JSON.",
            ) from None
        except RecursionError:
            raise BitScaleError(
                response.status_code,
                BAD_RESPONSE,
                "BitScale sent an answer nested too deeply to read.",
            ) from None

    @staticmethod
    def _may_retry(error: BitScaleError, idempotent: bool) -> bool:
        if error.code == "RATE_LIMIT_EXCEEDED" or isinstance(error, NotSent):
            return True  # rejected before any effect
        if not idempotent:
            return False
        return error.retryable or error.code == BAD_RESPONSE

    def _backoff(self, error: BitScaleError, attempt: int) -> float:
        if error.code == "RATE_LIMIT_EXCEEDED":
            return 0.0  # the limiter already holds everyone back for Retry-After
        return min(self._max_backoff, 0.5 * 2 ** (attempt - 1))


def parse(model: type[M], data: Any) -> M:
    if not isinstance(data, dict):
        raise BitScaleError(200, BAD_RESPONSE, "BitScale sent an answer of an unexpected shape.")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        fields = ", ".join(".".join(str(p) for p in e["loc"]) for e in exc.errors()[:3])
        raise BitScaleError(
            200, BAD_RESPONSE, f"BitScale's answer is missing or mistypes: {fields}."
        ) from None


def _int_header(response: httpx.Response, name: str) -> int | None:
    try:
        return int(response.headers[name])
    except (KeyError, ValueError):
        return None
