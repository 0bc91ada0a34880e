"""The bot's Slack Web API client: slack_sdk's, with its retry handlers, and with every
message's top-level `text` defused on the way out."""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from bot.slack.text import defuse


def retry_handlers() -> list:
    """Connection resets, 429s (honouring Retry-After) and 5xx are retried by slack_sdk."""
    return [
        ConnectionErrorRetryHandler(max_retry_count=2),
        RateLimitErrorRetryHandler(max_retry_count=3),
        ServerErrorRetryHandler(max_retry_count=2),
    ]


# Methods whose top-level `text` Slack shows in notifications and previews.
_TEXT_METHODS = frozenset(
    {"chat.postMessage", "chat.postEphemeral", "chat.update", "chat.scheduleMessage"}
)


class DefusingWebClient(WebClient):
    """A WebClient that defuses the top-level `text` of every message it sends: the
    last line of defence, whichever builder forgot to escape a grid name."""

    def api_call(self, api_method: str, **kwargs: Any) -> Any:  # type: ignore[override]
        if api_method in _TEXT_METHODS:
            for part in ("json", "params", "data"):
                args = kwargs.get(part)
                if isinstance(args, dict) and isinstance(args.get("text"), str):
                    kwargs[part] = {**args, "text": defuse(args["text"])}
        return super().api_call(api_method, **kwargs)


def make_web_client(token: str, base_url: str, timeout: int = 15) -> WebClient:
    return DefusingWebClient(
        token=token, base_url=base_url, timeout=timeout, retry_handlers=retry_handlers()
    )
