"""One exception type for every way a BitScale call can fail."""

from __future__ import annotations

import json
from dataclasses import dataclass

# Every code of the API reference (section 7), with its documented HTTP status.
ERROR_CODES: dict[str, int] = {
    "INVALID_API_KEY": 401,
    "MISSING_REQUIRED_FIELD": 400,
    "INVALID_REQUEST": 400,
    "MISSING_SOURCE": 400,
    "INVALID_SOURCE": 400,
    "MISSING_SOURCE_COLUMN": 400,
    "INVALID_INPUTS": 400,
    "INVALID_OUTPUT_COLUMN": 400,
    "GRID_NOT_FOUND": 404,
    "WORKSPACE_NOT_FOUND": 404,
    "REQUEST_NOT_FOUND": 404,
    "FEATURE_DISABLED": 403,
    "RATE_LIMIT_EXCEEDED": 429,
    "RUN_FAILED": 500,
    "ROTATE_FAILED": 500,
    "INTERNAL_ERROR": 500,
}

# Codes of our own for failures that never reached a BitScale answer.
TIMEOUT = "TIMEOUT"
CONNECTION_ERROR = "CONNECTION_ERROR"
BAD_RESPONSE = "BAD_RESPONSE"
HTTP_ERROR = "HTTP_ERROR"

_FALLBACK_BY_STATUS = {401: "INVALID_API_KEY", 429: "RATE_LIMIT_EXCEEDED"}


@dataclass
class BitScaleError(Exception):
    """A failed call. Carries no request headers, so the API key can never leak through it."""

    status: int | None
    code: str
    message: str
    retry_after: float | None = None

    def __str__(self) -> str:
        where = f"HTTP {self.status}" if self.status else "no HTTP answer"
        return f"{self.code} ({where}): {self.message}"

    @property
    def retryable(self) -> bool:
        """True when repeating the same call later may succeed."""
        if self.code in (TIMEOUT, CONNECTION_ERROR, "RATE_LIMIT_EXCEEDED", "INTERNAL_ERROR"):
            return True
        return self.status is not None and self.status >= 500 and self.code != "RUN_FAILED"


def parse_retry_after(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        return None
    return max(0.0, seconds)


def error_from_response(status: int, body: bytes, retry_after: str | None) -> BitScaleError:
    """Build the error for a non-2xx answer, whatever shape its body has."""
    code, message = None, None
    try:
        data = json.loads(body) if body else None
    except (ValueError, UnicodeDecodeError):
        data = None
    if isinstance(data, dict):
        err = data.get("error")
        if isinstance(err, dict):
            code = err.get("code") if isinstance(err.get("code"), str) else None
            message = err.get("message") if isinstance(err.get("message"), str) else None
        elif isinstance(err, str):
            if err in ERROR_CODES:
                code = err
            else:
                message = err
        if message is None and isinstance(data.get("message"), str):
            message = data["message"]
        if code is None and isinstance(data.get("code"), str):
            code = data["code"]
    if code is None:
        code = _FALLBACK_BY_STATUS.get(status, "INTERNAL_ERROR" if status >= 500 else HTTP_ERROR)
    if message is None:
        message = f"BitScale answered HTTP {status} without an explanation."
    return BitScaleError(status, code, message[:500], parse_retry_after(retry_after))
