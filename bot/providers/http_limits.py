"""Read a provider's answer only up to a size: one huge answer once held hundreds of MB.

The limit counts the bytes after decompression, so a small compressed answer cannot
unpack into a large one either.
"""

from __future__ import annotations

import httpx

MAX_RESPONSE_BYTES = 4 * 1024 * 1024  # far above any real answer (a grid page is ~100 KB)
RESPONSE_TOO_LARGE = "RESPONSE_TOO_LARGE"


class TooLarge(Exception):
    """The answer is larger than the limit; nothing more of it was read."""

    def __init__(self, status: int, limit: int) -> None:
        super().__init__(f"answer over {limit} bytes")
        self.status = status
        self.limit = limit


def read_capped(response: httpx.Response, limit: int = MAX_RESPONSE_BYTES) -> bytes:
    """The body of a streamed response, or TooLarge as soon as it passes `limit`."""
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > limit:
        raise TooLarge(response.status_code, limit)
    chunks: list[bytes] = []
    total = 0
    for chunk in response.iter_bytes():
        total += len(chunk)
        if total > limit:
            raise TooLarge(response.status_code, limit)
        chunks.append(chunk)
    return b"".join(chunks)


def megabytes(limit: int) -> str:
    return f"{limit / (1024 * 1024):g} MB"
