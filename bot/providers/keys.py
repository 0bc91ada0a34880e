"""API keys as pasted by people: a trailing line break is common (a file's last line, a
copied cell). Sent as is, httpx refuses the header and the failure read "could not reach
BitScale"; it is the key, so trim what surrounds it (saying so) and name what remains."""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)

KEY_MALFORMED = "KEY_MALFORMED"  # the key holds a character no HTTP header may carry


def usable_key(key: str, variable: str) -> str:
    """`key` without surrounding whitespace; logs a warning (never the key) if it had any."""
    trimmed = key.strip()
    if trimmed != key:
        log.warning(
            "%s has spaces or a line break around it; using the key without them. "
            "Remove them where the bot's settings are kept.",
            variable,
        )
    return trimmed


def unsendable(key: str) -> bool:
    """True when the key holds a line break or another control character inside it."""
    return any(ord(ch) < 32 or ord(ch) == 127 for ch in key)
