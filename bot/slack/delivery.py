"""Slack Web API calls as deliveries, for every notifier: a failure becomes a DeliveryError
(the core retries it, unless Slack said no for good), and FALLBACK_ERRORS are the answers
after which a notifier posts to the person by DM instead, saying why.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar
from urllib.error import URLError

from slack_sdk.errors import SlackApiError, SlackClientError

from bot.runs.types import DeliveryError

T = TypeVar("T")

FALLBACK_ERRORS = {
    "not_in_channel": "I'm not a member of that channel",
    "channel_not_found": "I can't see that channel",
    "is_archived": "that channel is archived",
    "restricted_action": "posting there is restricted",
    "cannot_dm_bot": "I can't post in that conversation",
}


class SlackDeliveryError(DeliveryError):
    """A DeliveryError that carries Slack's error string (`not_in_channel`, …)."""

    def __init__(self, message: str, slack_error: str | None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.slack_error = slack_error


def slack_call(fn: Callable[[], T]) -> T:
    """Turn Slack failures into DeliveryError, retryable unless Slack said no for good."""
    try:
        return fn()
    except SlackApiError as exc:
        error = exc.response.get("error", "unknown_error") if exc.response else "unknown"
        status = exc.response.status_code if exc.response is not None else None
        retry_after = None
        if status == 429:
            retry_after = float(exc.response.headers.get("Retry-After", 30) or 30)
        retryable = (
            status == 429
            or (status or 0) >= 500
            or error
            in (
                "ratelimited",
                "internal_error",
                "fatal_error",
                "service_unavailable",
                "request_timeout",
            )
        )
        raise SlackDeliveryError(
            f"Slack said {error}", error, retryable=retryable, retry_after=retry_after
        ) from None
    except (SlackClientError, URLError, OSError) as exc:
        raise DeliveryError(f"Slack could not be reached ({type(exc).__name__})") from None
