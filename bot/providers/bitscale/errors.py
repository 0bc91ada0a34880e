"""One exception type for every way a BitScale call can fail."""

from __future__ import annotations

from bot.providers.errors import (
    BAD_RESPONSE,
    CONNECTION_ERROR,
    HTTP_ERROR,
    TIMEOUT,
    ProviderError,
    json_or_none,
    parse_retry_after,
)
from bot.providers.http_limits import RESPONSE_TOO_LARGE
from bot.providers.keys import KEY_MALFORMED

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


_FALLBACK_BY_STATUS = {401: "INVALID_API_KEY", 429: "RATE_LIMIT_EXCEEDED"}


class BitScaleError(ProviderError):
    """A failed BitScale call (see ProviderError)."""

    @property
    def retryable(self) -> bool:
        """True when repeating the same call later may succeed."""
        if self.code in (TIMEOUT, CONNECTION_ERROR, "RATE_LIMIT_EXCEEDED", "INTERNAL_ERROR"):
            return True
        return self.status is not None and self.status >= 500 and self.code != "RUN_FAILED"


class NotSent(BitScaleError):
    """The request never left this machine (no connection): repeating it is always safe."""


def error_from_response(status: int, body: bytes, retry_after: str | None) -> BitScaleError:
    """Build the error for a non-2xx answer, whatever shape its body has."""
    code, message = None, None
    data = json_or_none(body)
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


# A sentence a sales rep can act on, for every code. `/bitscale config` does not exist:
# admins fix settings where the bot is deployed, so the next step names the person.
_EXPLANATIONS: dict[str, str] = {
    "INVALID_API_KEY": "BitScale rejected the bot's API key. Ask a Slack admin to update "
    "BITSCALE_API_KEY where the bot runs (BitScale → Settings → API Keys).",
    "MISSING_REQUIRED_FIELD": "BitScale said an input was missing. Check the grid's inputs "
    "and try again.",
    "INVALID_REQUEST": "BitScale refused the request as invalid. Try again; if it keeps "
    "happening, tell whoever runs the bot.",
    "MISSING_SOURCE": "This grid has no BitScale API source yet. Ask the grid's owner to add "
    "one in the grid's settings, then run it again.",
    "INVALID_SOURCE": "The grid's API source is gone or changed. Ask the grid's owner to "
    "check the grid's BitScale API source.",
    "MISSING_SOURCE_COLUMN": "The grid is missing its source column, so BitScale cannot add "
    "a row. Ask the grid's owner to check the grid.",
    "INVALID_INPUTS": "BitScale could not read the inputs. Check the values and try again.",
    "INVALID_OUTPUT_COLUMN": "One of the chosen output columns no longer exists in the grid. "
    "Open the run form again to see the current columns.",
    "GRID_NOT_FOUND": "That grid does not exist or is not in this workspace. Use "
    "`/bitscale grids` to see the grids you can run.",
    "WORKSPACE_NOT_FOUND": "BitScale found no workspace for the bot's API key. Ask a Slack "
    "admin to check BITSCALE_API_KEY.",
    "REQUEST_NOT_FOUND": "BitScale has no run with that request id in this workspace.",
    "FEATURE_DISABLED": "The BitScale API is not enabled on this workspace's plan (it is an "
    "Enterprise feature). Ask your BitScale admin to upgrade the plan.",
    "RATE_LIMIT_EXCEEDED": "BitScale is busy with this workspace's requests. Wait a few "
    "seconds and try again.",
    "RUN_FAILED": "The run failed inside BitScale.",
    "ROTATE_FAILED": "BitScale could not rotate the API key. Try again, or contact BitScale "
    "support.",
    "INTERNAL_ERROR": "BitScale had an internal error. Try again in a minute; if it keeps "
    "happening, contact BitScale support.",
    KEY_MALFORMED: "The bot's BitScale API key holds a line break or another character "
    "that cannot be sent, so nothing reached BitScale. Ask a Slack admin to paste "
    "BITSCALE_API_KEY again without it (BitScale → Settings → API Keys).",
    RESPONSE_TOO_LARGE: "BitScale's answer was larger than the bot reads, so it was not "
    "read. If this was a run, it may have finished in BitScale: open the grid there to see "
    "its row, or run it again with fewer output columns.",
    TIMEOUT: "BitScale did not answer in time. Try again in a minute.",
    CONNECTION_ERROR: "The bot could not reach BitScale. Try again in a minute.",
    BAD_RESPONSE: "BitScale sent an answer the bot could not read. Try again in a minute.",
    HTTP_ERROR: "BitScale refused the request. Try again; if it keeps happening, tell "
    "whoever runs the bot.",
}


def explain(error: BitScaleError) -> str:
    """A human sentence with a next step; BitScale's own message is added where it helps."""
    sentence = _EXPLANATIONS.get(error.code, _EXPLANATIONS[HTTP_ERROR])
    if (
        error.code
        in ("RUN_FAILED", "INVALID_INPUTS", "MISSING_REQUIRED_FIELD", "INVALID_REQUEST", HTTP_ERROR)
        and error.message
    ):
        return f"{sentence} BitScale said: {error.message}"
    if error.code == BAD_RESPONSE and error.message:  # our own words on what was wrong
        return f"{error.message} {sentence}"
    return sentence
