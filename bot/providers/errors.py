"""What every provider's failed call has in common: the error's shape, the codes for
failures that never reached an answer, and reading an error body of any shape."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

# Codes of our own for failures that never reached the service's answer.
TIMEOUT = "TIMEOUT"
CONNECTION_ERROR = "CONNECTION_ERROR"
BAD_RESPONSE = "BAD_RESPONSE"
HTTP_ERROR = "HTTP_ERROR"


@dataclass
class ProviderError(Exception):
    """A failed call. Carries no request headers, so the API key can never leak through it."""

    status: int | None
    code: str
    message: str
    retry_after: float | None = None

    def __str__(self) -> str:
        where = f"HTTP {self.status}" if self.status else "no HTTP answer"
        return f"{self.code} ({where}): {self.message}"


def json_or_none(body: bytes) -> Any:
    """An error body's JSON, or None for anything else (HTML from a proxy, nothing)."""
    try:
        return json.loads(body) if body else None
    except (ValueError, UnicodeDecodeError):
        return None


def parse_retry_after(value: str | None) -> float | None:
    """Retry-After in seconds; None when absent or not a number."""
    if value is None:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        return None
    return max(0.0, seconds)
