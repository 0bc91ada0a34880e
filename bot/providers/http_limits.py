"""One HTTP exchange with a provider, its answer read only up to a size: one huge answer
once held hundreds of MB.

The limit counts the bytes after decompression, so a small compressed answer cannot
unpack into a large one either.

Every exchange also has an overall deadline (a third more than its read timeout: 20 s for
a 15 s GET). httpx's timeouts are per read, so an answer sent at one byte a second never
trips them, and once held every poll thread for 80 s.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from bot.providers.errors import CONNECTION_ERROR, TIMEOUT, ProviderError

MAX_RESPONSE_BYTES = 4 * 1024 * 1024  # far above any real answer (a grid page is ~100 KB)
RESPONSE_TOO_LARGE = "RESPONSE_TOO_LARGE"


class TooLarge(Exception):
    """The answer is larger than the limit; nothing more of it was read."""

    def __init__(self, status: int, limit: int) -> None:
        super().__init__(f"answer over {limit} bytes")
        self.status = status
        self.limit = limit


class TooSlow(Exception):
    """The answer did not arrive whole by the exchange's deadline."""


def overall_deadline(timeout: Any) -> float:
    """Seconds a whole exchange may take, from its (per-read) timeout."""
    read = getattr(timeout, "read", None) if isinstance(timeout, httpx.Timeout) else timeout
    return float(read or 30.0) * 4 / 3


class CappedBody:
    """The chunks of one answer, or TooLarge as soon as they pass `limit`."""

    def __init__(self, response: httpx.Response, limit: int) -> None:
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > limit:
            raise TooLarge(response.status_code, limit)
        self.status = response.status_code
        self.limit = limit
        self.total = 0
        self.chunks: list[bytes] = []

    def add(self, chunk: bytes) -> None:
        self.total += len(chunk)
        if self.total > self.limit:
            raise TooLarge(self.status, self.limit)
        self.chunks.append(chunk)

    def body(self) -> bytes:
        return b"".join(self.chunks)


def read_capped(
    response: httpx.Response, limit: int = MAX_RESPONSE_BYTES, deadline: float | None = None
) -> bytes:
    """The body of a streamed response, or TooLarge as soon as it passes `limit`, or
    TooSlow once time.monotonic() passes `deadline`."""
    capped = CappedBody(response, limit)
    for chunk in response.iter_bytes():
        if deadline is not None and time.monotonic() > deadline:
            raise TooSlow()
        capped.add(chunk)
    return capped.body()


def megabytes(limit: int) -> str:
    return f"{limit / (1024 * 1024):g} MB"


@contextmanager
def provider_errors(
    service: str, error: type[ProviderError], not_sent: type[ProviderError]
) -> Iterator[None]:
    """Every transport failure inside raised as the provider's own error; `not_sent` when
    nothing can have reached the service. Shared by the blocking and the held exchanges."""
    try:
        yield
    except TooSlow:
        raise error(None, TIMEOUT, f"{service} did not answer in time.") from None
    except TooLarge as too_large:
        raise error(
            too_large.status,
            RESPONSE_TOO_LARGE,
            f"The answer from {service} was over {megabytes(too_large.limit)}; the bot "
            "stopped reading it.",
        ) from None
    except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout):
        raise not_sent(None, CONNECTION_ERROR, f"Could not connect to {service}.") from None
    except httpx.TimeoutException:
        raise error(None, TIMEOUT, f"{service} did not answer in time.") from None
    except httpx.TransportError as exc:
        raise error(
            None, CONNECTION_ERROR, f"The connection to {service} failed ({type(exc).__name__})."
        ) from None


def exchange(
    http: httpx.Client,
    method: str,
    path: str,
    *,
    service: str,
    error: type[ProviderError],
    not_sent: type[ProviderError],
    limit: int = MAX_RESPONSE_BYTES,
    **request: Any,
) -> tuple[httpx.Response, bytes]:
    """One request and its body (up to `limit`), every transport failure raised as the
    provider's own error; `not_sent` when nothing can have reached the service."""
    deadline = time.monotonic() + overall_deadline(request.get("timeout"))
    with provider_errors(service, error, not_sent):
        with http.stream(method, path, **request) as response:
            return response, read_capped(response, limit, deadline)
