"""Requests held open on one event loop, not one thread each.

A sync BitScale run keeps its request open until the run is done (up to two minutes),
and a flood holds hundreds at once: a thread apiece cost ~200 threads and 150 MB. Here
they wait together on one asyncio loop in one daemon thread, started when first needed.
Each answer is read up to a size and within an overall deadline, as in http_limits.py,
and every transport failure comes back as the provider's own error.

`send` returns a concurrent.futures.Future the caller chains its own steps onto (`then`);
those steps run on the loop's thread, so they must be quick (parsing an answer); anything
that writes to a database belongs in a pool of the caller's.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

import httpx

from bot.providers.errors import ProviderError
from bot.providers.http_limits import (
    MAX_RESPONSE_BYTES,
    CappedBody,
    TooSlow,
    overall_deadline,
    provider_errors,
)

T = TypeVar("T")
U = TypeVar("U")


class HeldRequests:
    """One loop, one connection pool; thread-safe."""

    def __init__(self, base_url: str, headers: dict[str, str]) -> None:
        self._base_url = base_url
        self._headers = headers
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._http: httpx.AsyncClient | None = None

    def send(
        self,
        method: str,
        path: str,
        *,
        service: str,
        error: type[ProviderError],
        not_sent: type[ProviderError],
        limit: int = MAX_RESPONSE_BYTES,
        on_sent: Callable[[], None] | None = None,
        **request: Any,
    ) -> Future[tuple[httpx.Response, bytes]]:
        """Send at once; the future holds the response and its body, or the error.
        `on_sent()` is called (on the loop's thread) as the request starts going out."""
        if on_sent is not None:
            request["extensions"] = {"trace": _when_sent(on_sent)}
        loop = self._started()
        exchange = self._exchange(method, path, service, error, not_sent, limit, request)
        return asyncio.run_coroutine_threadsafe(exchange, loop)

    def close(self) -> None:
        """Close the connections and stop the loop; requests still held are dropped."""
        with self._lock:
            loop, thread, http = self._loop, self._thread, self._http
            self._loop = self._thread = self._http = None
        if loop is None or thread is None or http is None:
            return
        try:
            asyncio.run_coroutine_threadsafe(http.aclose(), loop).result(timeout=5)
        except Exception:  # noqa: BLE001 - closing anyway
            pass
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=5)
        if not thread.is_alive():
            loop.close()

    def _started(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None:
                loop = asyncio.new_event_loop()
                # The number held is bounded by the rate budget times the longest run, not
                # by a pool: a request waiting for a connection would only time out.
                limits = httpx.Limits(max_connections=None, max_keepalive_connections=32)
                self._http = httpx.AsyncClient(
                    base_url=self._base_url, headers=self._headers, limits=limits
                )
                self._thread = threading.Thread(
                    target=loop.run_forever, name="held-requests", daemon=True
                )
                self._thread.start()
                self._loop = loop
            return self._loop

    async def _exchange(self, method, path, service, error, not_sent, limit, request):
        assert self._http is not None
        deadline = overall_deadline(request.get("timeout"))
        with provider_errors(service, error, not_sent):
            try:
                return await asyncio.wait_for(
                    self._read(self._http, method, path, limit, request), deadline
                )
            except asyncio.TimeoutError:
                raise TooSlow() from None

    @staticmethod
    async def _read(http, method, path, limit, request):
        async with http.stream(method, path, **request) as response:
            capped = CappedBody(response, limit)
            async for chunk in response.aiter_bytes():
                capped.add(chunk)
            return response, capped.body()


def _when_sent(on_sent: Callable[[], None]) -> Callable[[str, dict], Any]:
    """An httpcore trace hook calling `on_sent` once the request's headers start out."""

    async def trace(event: str, info: dict) -> None:
        if event == "http11.send_request_headers.started":
            on_sent()

    return trace


def then(
    future: Future[T],
    ok: Callable[[T], U],
    failed: Callable[[BaseException], U] | None = None,
) -> Future[U]:
    """A future of `ok(result)`, or of `failed(error)` (else the error itself)."""
    chained: Future[U] = Future()

    def step(done: Future[T]) -> None:
        try:
            try:
                value = done.result()
            except BaseException as exc:  # noqa: BLE001 - handed on to the chain
                if failed is None:
                    raise
                chained.set_result(failed(exc))
                return
            chained.set_result(ok(value))
        except BaseException as exc:  # noqa: BLE001 - the chain carries it
            chained.set_exception(exc)

    future.add_done_callback(step)
    return chained
