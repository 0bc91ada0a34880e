"""Every way a Bittlebits call can fail, and a sentence with a next step for each."""

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

# The statuses of the reference's error table, by the name the bot uses for them.
STATUS_CODES: dict[int, str] = {
    400: "BAD_REQUEST",
    401: "UNAUTHORIZED",
    404: "NOT_FOUND",
    410: "REVOKED",
    429: "RATE_LIMITED",
    500: "SERVER_ERROR",
    504: "TIMED_OUT",
}
BUDGET_SPENT = "BUDGET_SPENT"  # our own hourly pacing held the submission back


class BittlebitsError(ProviderError):
    """A failed Bittlebits call (see ProviderError)."""

    @property
    def resubmit(self) -> bool:
        """The reference says to POST again: the task was revoked (410) or timed out (504)."""
        return self.code in ("REVOKED", "TIMED_OUT")


class NotSent(BittlebitsError):
    """The request never reached Bittlebits (no connection): sending it again is safe."""


def error_from_response(status: int, body: bytes, retry_after: str | None) -> BittlebitsError:
    """The error for a non-2xx answer; the reference's body is {"error": "…"}, but any
    body (HTML from a proxy, nothing at all) gives a clean error too."""
    message = None
    data = json_or_none(body)
    if isinstance(data, dict) and isinstance(data.get("error"), str):
        message = data["error"]
    code = STATUS_CODES.get(status) or ("SERVER_ERROR" if status >= 500 else HTTP_ERROR)
    wait = parse_retry_after(retry_after)
    text = (message or f"Bittlebits answered HTTP {status} without an explanation.")[:300]
    return BittlebitsError(status, code, text, wait)


_EXPLANATIONS: dict[str, str] = {
    "BAD_REQUEST": "Bittlebits could not read that page address. Check that it is a full "
    "web address (https://…) and try again.",
    "UNAUTHORIZED": "Bittlebits rejected the bot's API key. Ask whoever runs the bot to "
    "update BITTLEBITS_API_KEY (Bittlebits → Settings → API Key) and restart it.",
    "NOT_FOUND": "Bittlebits has no task for this page any more. Ask for it again with "
    "the same command.",
    "REVOKED": "Bittlebits cancelled the task for this page. Ask for it again with the same "
    "command.",
    "TIMED_OUT": "Bittlebits ran out of time on this page. Try again in a few minutes; very "
    "large pages sometimes take more than one attempt.",
    "RATE_LIMITED": "Bittlebits is limiting how fast the bot may ask. The bot waits and tries "
    "again by itself.",
    "SERVER_ERROR": "Bittlebits had a problem on its side. Try again in a few minutes; if it "
    "keeps happening, contact Bittlebits support.",
    KEY_MALFORMED: "The bot's Bittlebits API key holds a line break or another character "
    "that cannot be sent, so nothing reached Bittlebits. Ask whoever runs the bot to paste "
    "BITTLEBITS_API_KEY again without it.",
    RESPONSE_TOO_LARGE: "Bittlebits' answer for this page was larger than the bot reads, "
    "so it was not read. Try a smaller page, or open it in Bittlebits.",
    CONNECTION_ERROR: "The bot could not reach Bittlebits. Try again in a minute.",
    TIMEOUT: "Bittlebits did not answer in time. Try again in a minute.",
    BAD_RESPONSE: "Bittlebits sent an answer the bot could not read. Try again in a minute.",
    HTTP_ERROR: "Bittlebits refused the request. Try again; if it keeps happening, tell "
    "whoever runs the bot.",
    BUDGET_SPENT: "Bittlebits takes at most 100 pages an hour from the bot, and this hour's "
    "are used up.",
}


def explain(error: BittlebitsError) -> str:
    """A sentence with a next step; Bittlebits' own words are added where they help."""
    sentence = _EXPLANATIONS.get(error.code, _EXPLANATIONS[HTTP_ERROR])
    if error.code in ("BAD_REQUEST", HTTP_ERROR) and error.message:
        return f"{sentence} Bittlebits said: {error.message.rstrip('.')}."
    return sentence
